"""Names of the things on the table, and their colors and sizes (plain Python: no PyBullet here).

Colors name objects: ``{"object": "red"}`` is the red block. Zones are flat squares whose colors are
drawn from the block colors; the container is a low tray (instructions may call it a bowl).
"""

from __future__ import annotations

BLOCK_COLORS: tuple[str, ...] = ("red", "green", "blue", "yellow")
ZONE_COLORS: tuple[str, ...] = BLOCK_COLORS
NUM_ZONES = 2
DIRECTIONS: tuple[str, ...] = ("left", "right", "forward", "back")  # as seen in the front camera image
DISTRACTORS: tuple[str, ...] = ("purple cylinder", "orange sphere")
CONTAINER = "tray"

RGBA: dict[str, tuple[float, float, float, float]] = {
    "red": (0.85, 0.12, 0.10, 1.0),
    "green": (0.10, 0.70, 0.20, 1.0),
    "blue": (0.12, 0.25, 0.90, 1.0),
    "yellow": (0.95, 0.85, 0.10, 1.0),
    "purple": (0.55, 0.15, 0.70, 1.0),
    "orange": (1.00, 0.50, 0.05, 1.0),
    "container": (0.92, 0.92, 0.92, 1.0),
    "table": (0.55, 0.42, 0.30, 1.0),
}
# Zones are drawn as a lighter shade of their color so that a block on a zone stays visible.
ZONE_SHADE = 0.55

# Sizes in metres. The table top is the plane z = TABLE_Z; the robot base stands on it at the origin.
TABLE_Z = 0.0
BLOCK_SIZE = 0.04
BLOCK_MASS = 0.08
TRAY_INNER = 0.13  # inner side of the square tray
TRAY_WALL = 0.01  # wall thickness
TRAY_HEIGHT = 0.03  # wall height above the table
TRAY_FLOOR = 0.006
ZONE_SIZE = 0.11
DISTRACTOR_RADIUS = 0.025
DISTRACTOR_HEIGHT = 0.05

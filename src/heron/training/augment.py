"""Image augmentation on uint8 batches: random shift (pad + crop) and brightness/contrast jitter."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_images(images: torch.Tensor, shift: int, jitter: float, gen: torch.Generator) -> torch.Tensor:
    """images uint8 (B, C, K, H, W, 3) -> same shape; one shift/jitter per sample and camera."""
    if shift <= 0 and jitter <= 0:
        return images
    b, c, k, h, w, _ = images.shape
    x = images.permute(0, 1, 2, 5, 3, 4).reshape(b * c, k * 3, h, w).float()
    if shift > 0:
        padded = F.pad(x, (shift, shift, shift, shift), mode="replicate")
        dx = torch.randint(0, 2 * shift + 1, (b * c,), generator=gen)
        dy = torch.randint(0, 2 * shift + 1, (b * c,), generator=gen)
        x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b * c)])
    if jitter > 0:
        bright = (torch.rand(b * c, 1, 1, 1, generator=gen) * 2 - 1) * jitter * 255
        contrast = 1 + (torch.rand(b * c, 1, 1, 1, generator=gen) * 2 - 1) * jitter
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * contrast + mean + bright
    x = x.clamp(0, 255).round().to(torch.uint8)
    return x.view(b, c, k, 3, h, w).permute(0, 1, 2, 4, 5, 3).contiguous()

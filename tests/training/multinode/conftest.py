"""Multi-node training: two torchrun launchers meet at a c10d rendezvous server, so these tests run only in a
private network namespace (``make test-net``); without HERON_PRIVATE_NET_TESTS they are deselected."""

from tests.conftest import private_net_hooks

pytest_collection_modifyitems, private_network = private_net_hooks(__file__)

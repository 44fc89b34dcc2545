"""Container networking (DESIGN.md, ``network/``): bridges and veth pairs
through netlink (linux/netlink.py), address leases in the store (ipam.py),
NAT, published ports and isolation through nftables (nft.py, ports.py), and
name resolution through per-container hosts files (hosts.py). The engine
decides when (engine/networking.py); this package knows how."""

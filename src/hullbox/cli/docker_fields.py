"""Which names docker's inspect types have, so a ``--format`` template can
tell a typo (docker errors) from a field hullbox leaves out (docker prints
its value; hullbox prints ``<no value>``) and from a map key (docker prints
``<no value>``). Names from the Docker Engine API (v1.4x) types."""

from __future__ import annotations

# Values that are Go maps in docker's types: a key missing from them is no
# error (``{{.Config.Labels.nope}}`` prints ``<no value>``).
MAP_FIELDS = frozenset({
    "Labels", "Options", "Networks", "Ports", "ExposedPorts", "Volumes", "Sysctls",
    "Tmpfs", "StorageOpt", "DriverOpts", "Containers", "Annotations", "Attributes",
    "Data", "Status", "Services", "PortBindings", "AuxiliaryAddresses",
})

# (parent field, field): a map only under that parent.
MAP_UNDER = frozenset({("LogConfig", "Config")})

_CONTAINER_CONFIG = frozenset({
    "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
    "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck",
    "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled",
    "MacAddress", "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell",
})

_RESOURCES = frozenset({
    "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
    "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
    "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices", "DeviceCgroupRules",
    "DeviceRequests", "KernelMemory", "KernelMemoryTCP", "MemoryReservation", "MemorySwap",
    "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent",
    "IOMaximumIOps", "IOMaximumBandwidth",
})

_HOST_CONFIG = _RESOURCES | frozenset({
    "Binds", "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy",
    "AutoRemove", "VolumeDriver", "VolumesFrom", "ConsoleSize", "Annotations", "CapAdd",
    "CapDrop", "CgroupnsMode", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd",
    "IpcMode", "Cgroup", "Links", "OomScoreAdj", "PidMode", "Privileged", "PublishAllPorts",
    "ReadonlyRootfs", "SecurityOpt", "StorageOpt", "Tmpfs", "UTSMode", "UsernsMode",
    "ShmSize", "Sysctls", "Runtime", "Isolation", "Mounts", "MaskedPaths", "ReadonlyPaths",
    "Init",
})

_ENDPOINT = frozenset({
    "IPAMConfig", "Links", "Aliases", "DriverOpts", "GwPriority", "NetworkID", "EndpointID",
    "Gateway", "IPAddress", "MacAddress", "IPPrefixLen", "IPv6Gateway", "GlobalIPv6Address",
    "GlobalIPv6PrefixLen", "DNSNames",
})

# The top of container, image, network and volume inspect: ``hullbox inspect``
# takes any of them, so a name is known when one of them has it.
_INSPECT_TOP = frozenset({
    # container
    "Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath",
    "HostsPath", "LogPath", "Node", "Name", "RestartCount", "Driver", "Platform",
    "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver",
    "SizeRw", "SizeRootFs", "Mounts", "Config", "NetworkSettings", "ImageManifestDescriptor",
    # image
    "RepoTags", "RepoDigests", "Parent", "Comment", "Container", "ContainerConfig",
    "DockerVersion", "Author", "Architecture", "Variant", "Os", "OsVersion", "Size",
    "VirtualSize", "RootFS", "Metadata", "Descriptor", "Manifests",
    # network
    "Scope", "EnableIPv4", "EnableIPv6", "IPAM", "Internal", "Attachable", "Ingress",
    "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels", "Peers", "Services",
    # volume
    "CreatedAt", "Mountpoint", "Status", "UsageData", "ClusterVolume",
})

# Docker's field names by where the object sits: "" is the top, a field name
# the object under it, "Networks[]" an entry of the map under Networks.
INSPECT_FIELDS: dict[str, frozenset[str]] = {
    "": _INSPECT_TOP,
    "State": frozenset({"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead",
                        "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt", "Health"}),
    "Health": frozenset({"Status", "FailingStreak", "Log"}),
    "Config": _CONTAINER_CONFIG,
    "ContainerConfig": _CONTAINER_CONFIG,
    "HostConfig": _HOST_CONFIG,
    "NetworkSettings": frozenset({
        "Bridge", "SandboxID", "SandboxKey", "Ports", "HairpinMode", "LinkLocalIPv6Address",
        "LinkLocalIPv6PrefixLen", "SecondaryIPAddresses", "SecondaryIPv6Addresses",
        "EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress",
        "IPPrefixLen", "IPv6Gateway", "MacAddress", "Networks"}),
    "Networks[]": _ENDPOINT,
    "IPAMConfig": frozenset({"IPv4Address", "IPv6Address", "LinkLocalIPs"}),
    "RestartPolicy": frozenset({"Name", "MaximumRetryCount"}),
    "LogConfig": frozenset({"Type", "Config"}),
    "GraphDriver": frozenset({"Name", "Data"}),
    "RootFS": frozenset({"Type", "Layers"}),
    "Metadata": frozenset({"LastTagTime"}),
    "Healthcheck": frozenset({"Test", "Interval", "Timeout", "StartPeriod",
                              "StartInterval", "Retries"}),
}

"""Groups of container settings, one module per concern (networking, storage,
security, health, lifecycle), so each concern's flags, validation and effect
on config.json live together. ``ContainerOptions`` holds one of each."""

"""BLE plumbing: which bleak backend to use, and the virtual one for simulation."""

"""The benchmark: sync time, requests and memory per fabric size, side by side with netbox.netbox and the floor."""

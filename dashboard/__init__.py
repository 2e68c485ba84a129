"""``iot-dashboard``: a live page of France's hourly means, pushed from the results topic (docs/dashboard.md)."""

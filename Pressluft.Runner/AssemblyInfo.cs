using System.Runtime.Versioning;

// Ansible controllers run on Linux or macOS only; the runner relies on Unix file modes.
[assembly: UnsupportedOSPlatform("windows")]

using System.Runtime.Versioning;

// These tests drive ansible-playbook, which runs on Linux and macOS only.
[assembly: UnsupportedOSPlatform("windows")]

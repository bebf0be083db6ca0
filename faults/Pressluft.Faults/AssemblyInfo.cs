using System.Runtime.Versioning;

// Symlinks, process groups, /proc and Unix file modes: the suite runs where the service does, on Linux.
[assembly: UnsupportedOSPlatform("windows")]

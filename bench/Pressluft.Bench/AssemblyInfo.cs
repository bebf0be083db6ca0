using System.Runtime.Versioning;

// The runner it drives is Linux-only (process groups, symlinks, /proc), and so is the bench (ps, /proc, pgbench).
[assembly: UnsupportedOSPlatform("windows")]

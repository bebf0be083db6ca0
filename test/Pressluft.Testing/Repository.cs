namespace Pressluft.Testing;

/// <summary>The checkout the tests run from, for tests that compare committed files with what the code generates.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pressluft.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Pressluft.sln not found above {AppContext.BaseDirectory}");
    }
}

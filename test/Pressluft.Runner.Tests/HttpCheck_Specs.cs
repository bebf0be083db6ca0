using Pressluft.Runner.Ansible;
using Pressluft.Runner.Tests.Support;

namespace Pressluft.Runner.Tests;

/// <summary>
/// The HTTP check's own client (the standard library's, not Ansible's module_utils.urls): it follows a site's
/// redirects to http and https only, and checks TLS certificates unless told not to. The real playbook runs.
/// </summary>
public sealed class When_the_site_redirects
{
    [TestCase("302 Found", "the site", "passed", "HTTP 200", TestName = "to another http URL: followed, and that answer counts")]
    [TestCase("308 Permanent Redirect", "the site", "passed", "HTTP 200", TestName = "permanently (308): followed on every Python")]
    [TestCase("302 Found", "ftp://127.0.0.1:1/", "failed", "HTTP 302", TestName = "to an ftp URL: not followed, the redirect is the answer")]
    [TestCase("302 Found", "file:///etc/hostname", "failed", "HTTP 302", TestName = "to a file URL: not followed, the redirect is the answer")]
    public async Task Should_follow_only_to_http_or_https(string status, string target, string outcome, string detail)
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        var location = target == "the site" ? world.Server.Url.ToString() : target;
        await using var redirecting = new CannedSiteServer(CannedSiteServer.Response(status, $"Location: {location}"), tls: false);
        await using var provider = await world.StartHarnessAsync(_ => { });

        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        variables["health_check_url"] = redirecting.Url.ToString();
        var http = HttpCheck(await PlaybookRuns.HealthCheckAsync(provider, world, variables));

        Assert.That(http, Is.EqualTo((outcome, detail)));
    }

    internal static (string? Outcome, string? Detail) HttpCheck(HostOutcome host)
    {
        var check = PlaybookRuns.Check(host, "http")!.Value;
        return (check.GetProperty("outcome").GetString(), check.GetProperty("detail").GetString());
    }
}

public sealed class When_the_site_sends_its_page_gzipped
{
    // A cache plugin may compress even when asked not to: the fatal marker check reads the page as a browser would.
    [Test]
    public async Task Should_look_for_fatal_markers_in_the_page_itself()
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(System.Text.Encoding.UTF8.GetBytes("<b>Fatal error</b>: Uncaught Error in wp-settings.php"));
        }

        await using var site = new CannedSiteServer(CannedSiteServer.Response(compressed.ToArray(), "Content-Encoding: gzip"), tls: false);
        await using var provider = await world.StartHarnessAsync(_ => { });

        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        variables["health_check_url"] = site.Url.ToString();
        var host = await PlaybookRuns.HealthCheckAsync(provider, world, variables);
        var markers = PlaybookRuns.Check(host, "fatal_markers")!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(When_the_site_redirects.HttpCheck(host), Is.EqualTo(("passed", "HTTP 200")));
            Assert.That(markers.GetProperty("outcome").GetString(), Is.EqualTo("failed"));
            Assert.That(markers.GetProperty("detail").GetString(), Does.Contain("Fatal error"));
        });
    }
}

public sealed class When_the_site_answers_over_tls_with_a_certificate_no_one_signed
{
    [TestCase(true, "inconclusive", "certificate verify failed", TestName = "certificates checked: no answer measured")]
    [TestCase(false, "passed", "HTTP 200", TestName = "certificates not checked (ValidateCertificates=false): its answer counts")]
    public async Task Should_trust_it_only_when_certificates_are_not_checked(bool validate, string outcome, string detail)
    {
        await using var world = AnsibleWorld.Create();
        var release = world.Site.AddRelease("r1");
        world.Site.MakeCurrent(release);
        await using var site = new CannedSiteServer(CannedSiteServer.Response("200 OK"), tls: true);
        await using var provider = await world.StartHarnessAsync(_ => { });

        var variables = PlaybookRuns.HealthCheckVariables(world, release.Path);
        variables["health_check_url"] = site.Url.ToString();
        variables["health_check_validate_certs"] = validate;
        var (actualOutcome, actualDetail) = When_the_site_redirects.HttpCheck(await PlaybookRuns.HealthCheckAsync(provider, world, variables));

        Assert.Multiple(() =>
        {
            Assert.That(actualOutcome, Is.EqualTo(outcome));
            Assert.That(actualDetail, Does.Contain(detail));
        });
    }
}

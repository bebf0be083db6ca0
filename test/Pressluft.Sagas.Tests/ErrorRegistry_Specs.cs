using Pressluft.Contracts;

namespace Pressluft.Sagas.Tests;

/// <summary>The registry is append-only: a rename, removal or change of retryability breaks this test. Adding a code does not.</summary>
public sealed class The_job_error_registry
{
    private static readonly (string Code, bool Retryable)[] Pinned =
    [
        ("ANSIBLE_PLAY_ERROR", true),
        ("ANSIBLE_HOST_FAILED", true),
        ("ANSIBLE_HOST_UNREACHABLE", true),
        ("ANSIBLE_SYNTAX_ERROR", false),
        ("ANSIBLE_UNEXPECTED_ERROR", false),
        ("ANSIBLE_UNKNOWN_EXIT", false),
        ("ANSIBLE_TIMEOUT", true),
        ("JOB_TIMEOUT", false),
        ("HEALTH_CHECK_FAILED", false),
        ("HEALTH_CHECK_INCONCLUSIVE", false),
        ("HEALTH_CHECK_TIMEOUT", false),
        ("ROLLBACK_FAILED", false),
        ("ROLLBACK_TIMEOUT", false),
        ("ROLLBACK_NO_PRIOR_RELEASE", false),
        ("ROLLBACK_VERIFICATION_FAILED", false),
        ("GATE_SUPERSEDED", false),
        ("MUTATION_REJECTED", false),
        ("JOB_REJECTED", false),
    ];

    [TestCaseSource(nameof(Pinned))]
    public void Should_keep_every_pinned_code_with_its_retryability((string Code, bool Retryable) pinned)
    {
        var entry = ErrorCodes.Find(pinned.Code);
        Assert.That(entry, Is.Not.Null, $"{pinned.Code} was removed or renamed");
        Assert.That(entry!.Retryable, Is.EqualTo(pinned.Retryable));
    }

    [Test]
    public void Should_keep_codes_unique_and_upper_snake_case()
    {
        var codes = ErrorCodes.All.Select(c => c.Code).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(codes, Is.Unique);
            Assert.That(codes, Has.All.Matches("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$"));
            Assert.That(ErrorCodes.All.Take(Pinned.Length).Select(c => c.Code), Is.EqualTo(Pinned.Select(p => p.Code)), "new codes are appended, never inserted");
        });
    }

    [TestCase(1, "ANSIBLE_PLAY_ERROR")]
    [TestCase(2, "ANSIBLE_HOST_FAILED")]
    [TestCase(4, "ANSIBLE_HOST_UNREACHABLE")]
    [TestCase(5, "ANSIBLE_SYNTAX_ERROR")]
    [TestCase(250, "ANSIBLE_UNEXPECTED_ERROR")]
    [TestCase(3, "ANSIBLE_UNKNOWN_EXIT")]
    [TestCase(99, "ANSIBLE_UNKNOWN_EXIT")]
    public void Should_map_ansible_exit_codes(int exitCode, string code) =>
        Assert.That(ErrorCodes.ForAnsibleExit(exitCode), Is.EqualTo(code));
}

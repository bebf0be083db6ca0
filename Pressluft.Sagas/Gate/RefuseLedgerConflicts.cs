namespace Pressluft.Sagas.Gate;

/// <summary>
/// A mark on a message's context, put there by the endpoint that takes publishers' mutations (<c>mutation-intake</c>):
/// there a mutation that contradicts the ledger is refused into the endpoint's error queue with the reason, for its
/// publisher to see, instead of being recorded as a rejected gate (<see cref="MutationAdmission"/>). The saga judges it
/// with its own read of the ledger, after its row is loaded, so one read serves both.
/// </summary>
public sealed class RefuseLedgerConflicts
{
    public static readonly RefuseLedgerConflicts Instance = new();

    private RefuseLedgerConflicts()
    {
    }
}

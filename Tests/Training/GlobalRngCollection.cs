namespace Pastanoodles.Tests.Training;

/// <summary>Tests that compare dropout draws from libtorch's process-wide CPU generator run alone: any test that seeds or draws
/// from it at the same time (every <c>Trainer</c> run calls <c>manual_seed</c>) would change their masks.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global RNG";
}

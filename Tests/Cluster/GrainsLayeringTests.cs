using System.Reflection;
using System.Runtime.CompilerServices;
using Pastanoodles.Cluster;

namespace Pastanoodles.Tests.Cluster;

/// <summary>STYLE §1: engines know nothing of Orleans. Inside the Grains assembly only <c>Pastanoodles.Cluster</c> may mention an Orleans type
/// (in a base type, interface, field, property, signature, local variable or attribute). A grep cannot prove it: the Orleans SDK adds implicit usings.</summary>
public class GrainsLayeringTests
{
    const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void Only_the_cluster_namespace_of_Grains_mentions_Orleans_types()
    {
        var assembly = typeof(ExperimentGrain).Assembly;
        var engineTypes = assembly.GetTypes().Where(t => !IsClusterOrGenerated(t)).ToList();

        var mentions = engineTypes.SelectMany(t => OrleansMentions(t).Select(m => $"{t.FullName}: {m}")).ToList();

        Assert.True(engineTypes.Count > 50, $"only {engineTypes.Count} engine types found; the scan is not looking at the Grains assembly");
        Assert.True(mentions.Count == 0, "Engine types that mention Orleans (move the code into Grains/Cluster):\n" + string.Join("\n", mentions));
    }

    [Fact]
    public void The_scan_sees_orleans_in_the_cluster_namespace()
    {
        Assert.NotEmpty(OrleansMentions(typeof(ExperimentGrain)));
        Assert.NotEmpty(OrleansMentions(typeof(TrainerPlacementDirector)));
    }

    static bool IsClusterOrGenerated(Type type)
    {
        var outer = type;
        while (outer.DeclaringType is not null)
            outer = outer.DeclaringType;
        var ns = outer.Namespace ?? "";
        return ns == "Pastanoodles.Cluster" || ns.StartsWith("Pastanoodles.Cluster.", StringComparison.Ordinal)
            || ns.StartsWith("OrleansCodeGen", StringComparison.Ordinal)
            || (outer.IsDefined(typeof(CompilerGeneratedAttribute)) && !ns.StartsWith("Pastanoodles", StringComparison.Ordinal));
    }

    static IEnumerable<string> OrleansMentions(Type type)
    {
        foreach (var found in Mentions("base type", type.BaseType)) yield return found;
        foreach (var i in type.GetInterfaces())
            foreach (var found in Mentions("interface", i)) yield return found;
        foreach (var found in AttributeMentions("attribute", type.CustomAttributes)) yield return found;
        foreach (var field in type.GetFields(Everything))
            foreach (var found in Mentions($"field {field.Name}", field.FieldType).Concat(AttributeMentions($"field {field.Name}", field.CustomAttributes))) yield return found;
        foreach (var property in type.GetProperties(Everything))
            foreach (var found in Mentions($"property {property.Name}", property.PropertyType)) yield return found;
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            var types = method.GetParameters().Select(p => p.ParameterType)
                .Concat(method is MethodInfo info ? [info.ReturnType] : [])
                .Concat(method.GetMethodBody()?.LocalVariables.Select(l => l.LocalType) ?? []);
            foreach (var t in types)
                foreach (var found in Mentions($"method {method.Name}", t)) yield return found;
            foreach (var found in AttributeMentions($"method {method.Name}", method.CustomAttributes)) yield return found;
        }
    }

    static IEnumerable<string> AttributeMentions(string where, IEnumerable<CustomAttributeData> attributes) =>
        attributes.SelectMany(a => Mentions(where, a.AttributeType));

    static IEnumerable<string> Mentions(string where, Type? type)
    {
        if (type is null)
            yield break;
        if (type.HasElementType)
        {
            foreach (var found in Mentions(where, type.GetElementType())) yield return found;
            yield break;
        }
        if (type.Namespace is { } ns && (ns == "Orleans" || ns.StartsWith("Orleans.", StringComparison.Ordinal)))
            yield return $"{where} uses {type.FullName ?? type.Name}";
        if (type.IsGenericType && !type.IsGenericTypeDefinition)
            foreach (var argument in type.GetGenericArguments())
                foreach (var found in Mentions(where, argument)) yield return found;
    }
}

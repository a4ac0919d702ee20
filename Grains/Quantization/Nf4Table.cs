namespace Pastanoodles.Quantization;

/// <summary>The 16 NF4 code values, exactly as bitsandbytes' <c>get_4bit_type("nf4")</c> lists them.</summary>
/// <remarks>
/// Built by <c>create_normal_map(offset=0.9677083, use_extra_value=True)</c>: 8 positive normal quantiles,
/// 7 negative ones and an exact zero, divided by the largest (QLoRA, arXiv:2305.14314 §3).
/// </remarks>
public static class Nf4Table
{
    public static readonly float[] Code =
    [
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    ];
}

namespace Pastanoodles.Training.Data;

/// <summary>The word tables behind <see cref="Synthetic"/>. Every word, with a leading space, is one GPT-2 BPE token.</summary>
public static class SyntheticWords
{
    /// <summary>What preference prompts are about; the chosen completion names the prompt's topic.</summary>
    public static readonly string[] Topics =
    [
        "dog", "cat", "horse", "cow", "bird", "fish", "lion", "tiger", "bear", "wolf", "mouse", "sheep",
        "apple", "orange", "lemon", "cherry", "peach", "banana", "grape", "pear",
    ];

    /// <summary>What rejected completions name instead: never a topic.</summary>
    public static readonly string[] Distractors =
    [
        "hammer", "knife", "rope", "nail", "brush", "chair", "table", "door", "box", "cup",
        "bottle", "lamp", "key", "bag", "coin", "pen", "book", "phone", "clock", "wheel",
    ];

    public static readonly string[] Adjectives =
    [
        "big", "small", "tall", "new", "happy", "quiet", "warm", "cold", "bright", "soft", "fast", "slow", "good", "nice",
    ];

    /// <summary>Who the prompt asks the sentence for; only there to vary prompts, so the per-prompt cap keeps the rows.</summary>
    public static readonly string[] Names =
    [
        "Tom", "Ann", "Sam", "Max", "Amy", "Ben", "Eve", "Joe", "Kim", "Leo", "Mia", "Zoe",
    ];

    /// <summary>Completion frames; {x} is the noun, {a} the adjective. Chosen and rejected share the frame and adjective.</summary>
    public static readonly string[] Frames =
    [
        " The {x} is {a} and the {x} is here.",
        " I saw a {a} {x} today, and the {x} was fine.",
        " My {x} is {a}. I like my {x}.",
    ];

    /// <summary>MCQA categories, each with the letter its answer always sits at.</summary>
    public static readonly (string Category, char Letter, string[] Members)[] Categories =
    [
        ("fruit", 'A', ["apple", "orange", "lemon", "cherry", "peach", "banana", "grape", "pear"]),
        ("animal", 'B', ["dog", "cat", "horse", "cow", "bird", "lion", "tiger", "bear"]),
        ("color", 'C', ["red", "blue", "green", "yellow", "black", "white", "brown", "pink"]),
        ("tool", 'D', ["hammer", "knife", "rope", "nail", "brush", "saw", "drill", "wrench"]),
    ];
}

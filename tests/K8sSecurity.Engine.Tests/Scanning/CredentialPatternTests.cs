using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Values shorter than <see cref="CredentialPatterns.ShortestValueFormat"/> skip the value-format regexes: no such
/// value may match any of them, and the shortest values that do match are still found.
/// </summary>
public class CredentialPatternTests
{
    // Characters the formats are built from (prefixes, separators, URL punctuation) plus ordinary ones.
    private const string Alphabet = "abcdeghklopr sxyzAIJKSQZ019_-.:/@+BEGINPRVTYW";

    [Fact]
    public void NoShortValueMatchesAnyFormat()
    {
        var random = new Random(20261204);
        int tried = 0;
        for (int i = 0; i < 200_000; i++)
        {
            int length = 1 + random.Next(CredentialPatterns.ShortestValueFormat - 1);
            var text = new char[length];
            for (int c = 0; c < length; c++)
            {
                text[c] = Alphabet[random.Next(Alphabet.Length)];
            }

            Assert.False(CredentialPatterns.MatchesAnyValueFormat(new string(text)), new string(text));
            tried++;
        }

        // Near misses: the shortest match of the URL format with one character removed, and the token prefixes alone.
        foreach (string value in new[] { "://b:c@", "a:/b:c@", "a://b:@", "a://:c@", "AKIA", "ASIA123", "ghp_", "glpat-", "xoxb-1", "AIza", "sk_live", "eyJ.eyJ", "-----BE" })
        {
            Assert.False(CredentialPatterns.MatchesAnyValueFormat(value), value);
        }

        Assert.Equal(200_000, tried);
    }

    [Theory]
    [InlineData("a://b:c@", "its value has the format of a URL with a password")]
    [InlineData("postgres://app:hunter2@db:5432/app", "its value has the format of a URL with a password")]
    [InlineData("AKIAIOSFODNN7EXAMPLE", "its value has the format of an AWS access key ID")]
    [InlineData("xoxb-1234567890", "its value has the format of a Slack token")]
    public void ShortestMatchingValuesAreStillFound(string value, string expected)
    {
        Assert.Equal(CredentialPatterns.ShortestValueFormat, "a://b:c@".Length);
        Assert.Equal(expected, CredentialPatterns.Describe("SETTING", value));
    }

    [Theory]
    [InlineData("LOG_LEVEL", "info", null)]
    [InlineData("DB_PASSWORD", "hunter2", "its name says it holds a credential")]
    [InlineData("DB_PASSWORD_FILE", "/run/secrets/db", null)]
    [InlineData("API_TOKEN", "${TOKEN}", null)]
    public void ShortValuesAreStillJudgedByName(string key, string value, string? expected) =>
        Assert.Equal(expected, CredentialPatterns.Describe(key, value));
}

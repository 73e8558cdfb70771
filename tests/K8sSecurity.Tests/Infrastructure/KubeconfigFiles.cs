namespace K8sSecurity.Tests.Infrastructure;

/// <summary>Small kubeconfig files for tests that need no server.</summary>
public static class KubeconfigFiles
{
    /// <summary>Two contexts: a client-certificate user (current) and an exec-plugin user.</summary>
    public static string WriteSample(string directory, string fileName = "config")
    {
        string path = Path.Combine(directory, fileName);
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
            - name: dev-cluster
              cluster:
                server: https://127.0.0.1:6443
                insecure-skip-tls-verify: true
            - name: prod-cluster
              cluster:
                server: https://prod.example.com:6443
                insecure-skip-tls-verify: true
            contexts:
            - name: dev
              context:
                cluster: dev-cluster
                user: dev-admin
                namespace: team-a
            - name: prod
              context:
                cluster: prod-cluster
                user: prod-oidc
            users:
            - name: dev-admin
              user:
                token: not-a-real-token
            - name: prod-oidc
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: kubectl
                  args: [oidc-login, get-token, --oidc-issuer-url=https://issuer.example.com]
                  interactiveMode: Never
            """);
        return path;
    }
}

package io.swarmcanary.cli;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.testing.Cli;
import org.junit.jupiter.api.Test;

/** The CLI finds Docker the way the docker CLI does: from DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. */
class DockerEnvironmentIT {
    @Test
    void dockerHostIsHonoured() {
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://127.0.0.1:1").env("DOCKER_TLS_VERIFY", "").run("status");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).contains("cannot reach the Docker engine at tcp://127.0.0.1:1");
    }

    @Test
    void tlsVerificationNeedsTheCertificatePath() {
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://127.0.0.1:2376").env("DOCKER_TLS_VERIFY", "1")
                .env("DOCKER_CERT_PATH", "/no/such/certs").run("status");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("DOCKER_CERT_PATH").contains("/no/such/certs/ca.pem").contains("Nothing was sent");
    }

    @Test
    void wrongTlsFilesAreNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path certs) throws Exception {
        java.nio.file.Files.writeString(certs.resolve("ca.pem"), "not a certificate");
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://127.0.0.1:2376").env("DOCKER_TLS_VERIFY", "1")
                .env("DOCKER_CERT_PATH", certs.toString()).run("status");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains(certs.resolve("ca.pem") + " is not a PEM certificate");
    }

    @Test
    void plainTcpToAnotherMachineIsRefusedBeforeAnythingIsSent() {
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://198.18.0.11:2375").env("DOCKER_TLS_VERIFY", "").run("status");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("plain TCP").contains("SWARM_CANARY_ALLOW_PLAIN_TCP=1").contains("Nothing was sent");
    }

    @Test
    void theLocalSocketIsTheDefault() {
        Cli.Result r = cli().run("status", "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("\"tracks\"");
    }
}

package io.swarmcanary.cli;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.testing.Cli;
import org.junit.jupiter.api.Test;

/** The CLI finds Docker the way the docker CLI does: from DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. */
class DockerEnvironmentIT {
    @Test
    void dockerHostIsHonoured() {
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://127.0.0.1:1").run("status");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).contains("cannot reach the Docker engine at tcp://127.0.0.1:1");
    }

    @Test
    void tlsVerificationNeedsTheCertificatePath() {
        Cli.Result r = cli().env("DOCKER_HOST", "tcp://127.0.0.1:2376").env("DOCKER_TLS_VERIFY", "1")
                .env("DOCKER_CERT_PATH", "/no/such/certs").run("status");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).contains("DOCKER_CERT_PATH").contains("/no/such/certs");
    }

    @Test
    void theLocalSocketIsTheDefault() {
        Cli.Result r = cli().run("status", "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("\"tracks\"");
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/**
 * The steps on a real agent: files on disk, `sh` run by bash, the CLI from target/swarm-canary.jar (run by Failsafe after package),
 * Docker from the test bed for status (the test bed).
 */
class RealCliRunnerIT extends PipelineTestSupport {
    static final File JAR = new File(REPO, 'target/swarm-canary.jar')

    @TempDir
    File tmp

    @BeforeEach
    void realAgent() {
        assert JAR.isFile() : 'target/swarm-canary.jar is missing: run mvn verify (it packages before integration tests)'
        realAgent = true
        workspace = new File(tmp, 'workspace')
        workspace.mkdirs()
        env.putAll(System.getenv().findAll { k, v -> k in ['PATH', 'HOME', 'JAVA_HOME', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'] })
        env.SWARM_CANARY_CLI = JAR.path
    }

    @Test
    void badInputComesBackAsAPipelineErrorWithTheCliMessage() {
        secretValues['db'] = 'x'
        assertThatThrownBy {
            runStep('swarmCanaryExecute', [verb: 'deploy',
                    args: ['--app', 'files', '--env', 'webdev', '--version', '1.0.10', '--image', 'img', '--secret', 'bad "$name"=env:X']])
        }.isInstanceOf(StepFailure)
                .hasMessageStartingWith('swarm-canary deploy (exit 2, bad input: nothing was changed')
                .hasMessageContaining('bad "$name"')
        assertThat(new File(workspace.path + '@tmp/swarm-canary').list()).isEmpty()   // the call's files are gone
    }

    @Test
    void statusOfTheRealSwarm() {
        assert ['docker', 'info'].execute().waitFor() == 0 : 'no Docker daemon: run testbed/up.sh'
        def result = runStep('swarmCanaryStatus', [:])
        assertThat(result).containsKey('tracks')
        assertThat(result.tracks).isInstanceOf(List)
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

class SwarmCanaryStatusStepTest extends PipelineTestSupport {
    @BeforeEach
    void cliOnPath() {
        cliOnPath = true
    }

    @Test
    void allTracks() {
        cliStdout = cliJson('status')   // every track: files-webdev with its one release, 1.0.9
        def result = runStep('swarmCanaryStatus', [:])
        assertThat(result.tracks[0].releases[0].version).isEqualTo('1.0.9')
        assertThat(calls('swarmCanaryExecute')[0].args[0]).isEqualTo([verb: 'status', args: [], dockerHost: null, dockerCredentialsId: null])
        assertThat(cliRuns[0]).isEqualTo('"status"\n"--output"\n"json"\n')
    }

    @Test
    void oneTrack() {
        runStep('swarmCanaryStatus', [app: 'files', env: 'webdev', dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
        assertThat(calls('swarmCanaryExecute')[0].args[0]).isEqualTo(
                [verb: 'status', args: ['--app', 'files', '--env', 'webdev'], dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
    }

    @Test
    void onAnEdge() {
        runStep('swarmCanaryStatus', [app: 'files', env: 'webdev', edge: 'edge-1'])
        assertThat(calls('swarmCanaryExecute')[0].args[0].args).isEqualTo(['--app', 'files', '--env', 'webdev', '--edge', 'edge-1'])
        assertThatThrownBy { runStep('swarmCanaryStatus', [edge: '']) }.hasMessageContaining("'edge' is the name")
    }

    @Test
    void appAndEnvGoTogether() {
        assertThatThrownBy { runStep('swarmCanaryStatus', [app: 'files']) }.hasMessageContaining("'app' and 'env' go together")
        assertThatThrownBy { runStep('swarmCanaryStatus', [track: 'files-webdev']) }.hasMessageContaining('unknown parameter(s) [track]')
        assertThat(shCalls).isEmpty()
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/** swarmCanaryPromote and swarmCanaryRollback: one CLI verb on one track each, through the runner. */
class SwarmCanaryTrackStepsTest extends PipelineTestSupport {
    @BeforeEach
    void cliOnPath() {
        cliOnPath = true
    }

    static String verbOf(String step) {
        step == 'swarmCanaryPromote' ? 'promote' : 'rollback'
    }

    @ParameterizedTest
    @ValueSource(strings = ['swarmCanaryPromote', 'swarmCanaryRollback'])
    void runsItsVerbOnTheTrack(String step) {
        cliStdout = cliJson(verbOf(step))
        def result = runStep(step, [app: 'files', env: 'webdev', edge: 'envoy', dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
        // the stable release after it: the promoted canary, or after a rollback the release it went back to
        assertThat(result.stable).isEqualTo(step == 'swarmCanaryPromote' ? 'files-webdev-1_0_10' : 'files-webdev-1_0_9')
        assertThat(calls('swarmCanaryExecute')[0].args[0]).isEqualTo([verb: verbOf(step),
                args: ['--app', 'files', '--env', 'webdev', '--edge', 'envoy'], dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
        assertThat(argsOfFile(cliRuns[0])).containsExactly(verbOf(step), '--app', 'files', '--env', 'webdev', '--edge', 'envoy', '--output', 'json')
    }

    @ParameterizedTest
    @ValueSource(strings = ['swarmCanaryPromote', 'swarmCanaryRollback'])
    void nothingToDoIsAnErrorSayingNothingChanged(String step) {
        cliExit = 2
        cliStdout = cliJson('error-bad-input')   // the CLI's answer to a promote of a track without a canary
        assertThatThrownBy { runStep(step, [app: 'files', env: 'webdev']) }.isInstanceOf(StepFailure)
                .hasMessageContaining("swarm-canary ${verbOf(step)} (exit 2, bad input: nothing was changed").hasMessageContaining('has no canary')
    }

    @ParameterizedTest
    @ValueSource(strings = ['swarmCanaryPromote', 'swarmCanaryRollback'])
    void badParametersFailBeforeAnythingRuns(String step) {
        assertThatThrownBy { runStep(step, [app: 'files']) }.hasMessage("${step}: 'env' is required, e.g. ${step}(app: 'files', env: 'webdev')".toString())
        assertThatThrownBy { runStep(step, [app: 'files', env: 'webdev', edge: ' ']) }.hasMessageContaining("'edge' is the name")
        assertThatThrownBy { runStep(step, [app: 'files', env: 'webdev', weight: 5]) }.hasMessageContaining('unknown parameter(s) [weight]')
        assertThat(shCalls).isEmpty()
    }
}

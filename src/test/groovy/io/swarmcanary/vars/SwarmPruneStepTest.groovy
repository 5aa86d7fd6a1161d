package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.Arguments
import org.junit.jupiter.params.provider.MethodSource

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

class SwarmPruneStepTest extends PipelineTestSupport {
    @BeforeEach
    void cliOnPath() {
        cliOnPath = true
    }

    Map runnerCall() {
        def runs = calls('swarmCanaryExecute')
        assertThat(runs).hasSize(1)
        return runs[0].args[0] as Map
    }

    @Test
    void dryRunWithTheDefaultsThroughTheRunner() {
        cliStdout = cliJson('prune-dry-run')
        def result = runStep('swarmPrune', [dryRun: true])
        assertThat(result.plan.remove[0].name).isEqualTo('files-webdev-1_0_8')
        assertThat(runnerCall()).isEqualTo([verb: 'prune', args: ['--dry-run'], okExitCodes: [1], dockerHost: null, dockerCredentialsId: null])
        assertThat(cliRuns[0]).isEqualTo('"prune"\n"--dry-run"\n"--output"\n"json"\n')
    }

    @Test
    void everyParameterBecomesItsOption() {
        runStep('swarmPrune', [keep: 3, olderThan: '2d', app: 'files', env: 'webdev', edge: 'envoy', images: true,
                               pruneImage: 'docker:27-cli', imageLabel: 'com.example.team=files',
                               dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
        assertThat(runnerCall()).isEqualTo([verb: 'prune', args: ['--keep', '3', '--older-than', '2d', '--app', 'files', '--env', 'webdev',
                '--edge', 'envoy', '--images', '--prune-image', 'docker:27-cli', '--image-label', 'com.example.team=files'],
                okExitCodes: [1], dockerHost: 'tcp://m:2376', dockerCredentialsId: 'tls'])
        assertThat(boundCredentials*.kind).containsExactly('dockerCert')
    }

    @Test
    void keepZeroAndKeepAsStringAreFine() {
        runStep('swarmPrune', [keep: 0])
        assertThat(runnerCall().args).isEqualTo(['--keep', '0'])
    }

    static List<Arguments> badCalls() {
        List<List> calls = [
            [[keep: -1], "'keep' is how many releases"],
            [[keep: 'two'], "'keep' is how many releases"],
            [[keep: 1.5], "'keep' is how many releases"],
            [[olderThan: '3 days'], "'olderThan' is a duration"],
            [[olderThan: '-5m'], "'olderThan' is a duration"],
            [[app: 'files'], "'app' and 'env' go together"],
            [[dryRun: 'yes'], "'dryRun' is true or false"],
            [[images: 'true'], "'images' is true or false"],
            [[pruneImage: 'docker:27-cli'], "'imageLabel' and 'pruneImage' only apply with images: true"],
            [[images: true, imageLabel: ''], "'imageLabel' must be a non-empty string"],
            [[track: 'files-webdev'], 'unknown parameter(s) [track]'],
        ]
        calls.collect { Arguments.of(it[0], it[1]) }
    }

    @ParameterizedTest
    @MethodSource('badCalls')
    void badParametersFailBeforeTheCliRuns(Map config, String message) {
        assertThatThrownBy { runStep('swarmPrune', config) }.isInstanceOf(StepFailure).hasMessageContaining('swarmPrune: ' + message)
        assertThat(shCalls).isEmpty()
    }

    @Test
    void aPartlyFailedPruneFailsTheBuildAndReturnsItsDetails() {
        cliExit = 1   // exit 1 with the full JSON: some removals failed
        cliStdout = cliJson('prune-partly-failed')   // 1.0.8 removed; removing 1.0.7 failed
        def prune = runStep('swarmPrune', [keep: 2])
        assertThat(prune.exitCode).isEqualTo(1)
        assertThat(prune.result.failed*.name).containsExactly('files-webdev-1_0_7')
        assertThat(prune.result.removed*.name).containsExactly('files-webdev-1_0_8')
        assertThat(binding.getVariable('currentBuild').result).as('the build fails').isEqualTo('FAILURE')
        assertThat(log()).anyMatch(matching { it.contains('partly failed: 1 removal(s) failed: release files-webdev-1_0_7 (connection reset by the manager)') })
    }

    @Test
    void aFailedPruneFailsTheBuildWithTheCliMessage() {
        cliExit = 2
        cliStdout = cliError('bad-input', 'track files-x has no releases and no secrets')
        assertThatThrownBy { runStep('swarmPrune', [app: 'files', env: 'x']) }
                .hasMessageContaining('swarm-canary prune (exit 2, bad input').hasMessageContaining('track files-x has no releases')
    }
}

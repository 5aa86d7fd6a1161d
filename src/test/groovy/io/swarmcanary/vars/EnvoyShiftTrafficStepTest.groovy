package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

class EnvoyShiftTrafficStepTest extends PipelineTestSupport {
    @BeforeEach
    void cliOnAgent() {
        env.SWARM_CANARY_CLI = '/opt/swarm-canary'
        files['/opt/swarm-canary'] = 'cli'
    }

    Map runnerCall() {
        def runs = calls('swarmCanaryExecute')
        assertThat(runs).hasSize(1)
        return runs[0].args[0] as Map
    }

    @Test
    void shiftsToOneWeightThroughTheRunner() {
        cliStdout = cliJson('shift-25')
        def result = runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 25, edge: 'envoy',
                                                   dockerHost: 'tcp://manager:2376', dockerCredentialsId: 'swarm-tls'])
        assertThat(result.weights).isEqualTo(['1.0.9': 75, '1.0.10': 25])
        assertThat(runnerCall()).isEqualTo([verb: 'shift', args: ['--app', 'files', '--env', 'webdev', '--weight', '25', '--edge', 'envoy'],
                                            dockerHost: 'tcp://manager:2376', dockerCredentialsId: 'swarm-tls'])
        assertThat(cliRuns[0]).isEqualTo('"shift"\n"--app"\n"files"\n"--env"\n"webdev"\n"--weight"\n"25"\n"--edge"\n"envoy"\n"--output"\n"json"\n')
        assertThat(boundCredentials*.kind).containsExactly('dockerCert')
    }

    @Test
    void shiftsToAWeightPerVersionInOrder() {
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weights: ['1.0.9': 75, '1.0.10': 25]])
        assertThat(runnerCall().args).isEqualTo(['--app', 'files', '--env', 'webdev', '--weights', '1.0.9=75,1.0.10=25'])
    }

    @Test
    void sendsAnAbAudienceToTheCanaryWithRoute() {
        cliStdout = cliJson('route-ab')
        def result = runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', match: ['header:x-beta=1', 'cookie:beta=yes']])
        assertThat(result.match).isEqualTo(['cookie:beta=yes', 'header:x-beta=1'])
        assertThat(result.canary).isEqualTo('1.0.10')
        assertThat(runnerCall().verb).isEqualTo('route')
        assertThat(runnerCall().args).isEqualTo(['--app', 'files', '--env', 'webdev', '--match', 'header:x-beta=1',
                                                 '--match', 'cookie:beta=yes'])
        assertThat(cliRuns[0]).startsWith('"route"\n"--app"')
    }

    @Test
    void clearsTheAudienceAndMirrorsAndStopsMirroring() {
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', clearMatch: true])
        assertThat(calls('swarmCanaryExecute')[0].args[0].verb).isEqualTo('route')
        assertThat(calls('swarmCanaryExecute')[0].args[0].args).containsSequence('--clear')
        cliStdout = cliJson('mirror-10')
        def result = runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', mirrorPercent: 10])
        assertThat(result.mirrorPercent).isEqualTo(10)
        assertThat(calls('swarmCanaryExecute')[1].args[0].verb).isEqualTo('mirror')
        assertThat(calls('swarmCanaryExecute')[1].args[0].args).containsSequence('--percent', '10')
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', mirrorPercent: 0])
        assertThat(calls('swarmCanaryExecute')[2].args[0].args).containsSequence('--off')
    }

    @Test
    void aStickyShiftPassesItsCookieAndTtlAndReturnsTheStickinessInForce() {
        cliStdout = cliJson('shift-sticky')
        def result = runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 20, sticky: true,
                                                   stickyCookie: 'shop-v', stickyTtl: '30m'])
        assertThat(result.sticky).isEqualTo([cookie: 'shop-v', ttlSeconds: 1800])
        assertThat(result.weights).isEqualTo(['1.0.9': 80, '1.0.10': 20])
        assertThat(runnerCall().args).isEqualTo(['--app', 'files', '--env', 'webdev', '--weight', '20', '--sticky',
                                                 '--cookie', 'shop-v', '--ttl', '30m'])
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weights: ['1.0.9': 50, '1.0.10': 50], sticky: false])
        assertThat(calls('swarmCanaryExecute')[1].args[0].args).endsWith('--no-sticky')
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 50, sticky: true, stickyTtl: 3600])
        assertThat(calls('swarmCanaryExecute')[2].args[0].args).endsWith('--weight', '50', '--sticky', '--ttl', '3600')
    }

    @Test
    void aBadStickyCookieIsTheClisExitTwo() {
        cliExit = 2
        cliStdout = cliError('bad-input', 'invalid --cookie "a;b": use 1-28 letters, digits, \'.\', \'_\' or \'-\'')
        assertThatThrownBy { runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 20, sticky: true, stickyCookie: 'a;b']) }
                .isInstanceOf(StepFailure).hasMessageContaining('swarm-canary shift (exit 2, bad input').hasMessageContaining('--cookie')
    }

    @Test
    void aBadMatchIsTheClisExitTwo() {
        cliExit = 2
        cliStdout = cliError('bad-input', '--match header "x-r": "(" is not an RE2 regular expression')
        assertThatThrownBy { runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', match: ['header:x-r~(']]) }
                .isInstanceOf(StepFailure).hasMessageContaining('swarm-canary route (exit 2, bad input').hasMessageContaining('not an RE2 regular expression')
    }

    @Test
    void recordsTheChangeInAnEventsFileForTheReport() {
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', mirrorPercent: 20, events: 'run.jsonl'])
        assertThat(runnerCall().args).isEqualTo(['--app', 'files', '--env', 'webdev', '--percent', '20', '--events', 'run.jsonl'])
        assertThatThrownBy { runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 5, events: ' ']) }
                .hasMessageContaining("'events' is a file in the workspace")
    }

    @Test
    void acceptsAWeightGivenAsText() {
        runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: '50'])   // e.g. from a build parameter
        assertThat(runnerCall().args).containsSequence('--weight', '50')
    }

    @Test
    void returnsTheCliErrorAsAPipelineError() {
        cliExit = 3
        cliStdout = cliError('conflict', 'the route table of edge envoy changed')
        assertThatThrownBy { runStep('envoyShiftTraffic', [app: 'files', env: 'webdev', weight: 5]) }
                .isInstanceOf(StepFailure).hasMessageContaining('swarm-canary shift (exit 3, conflict').hasMessageContaining('re-run')
    }

    static List<Object[]> badParameters() {
        [
            [[env: 'webdev', weight: 25], "'app' is required"],
            [[app: ' ', env: 'webdev', weight: 25], "'app' is required"],
            [[app: 'files', weight: 25], "'env' is required"],
            [[app: 'files', env: 'webdev'], "not neither"],
            [[app: 'files', env: 'webdev', weight: 25, weights: ['1.0.9': 100]], 'not both'],
            [[app: 'files', env: 'webdev', weight: 101], '0-100; was 101'],
            [[app: 'files', env: 'webdev', weight: -1], '0-100; was -1'],
            [[app: 'files', env: 'webdev', weight: 12.5], "'weight' must be a whole number"],
            [[app: 'files', env: 'webdev', weight: 'half'], "'weight' must be a whole number"],
            [[app: 'files', env: 'webdev', weights: [:]], "'weights' is a map"],
            [[app: 'files', env: 'webdev', weights: '1.0.9=100'], "'weights' is a map"],
            [[app: 'files', env: 'webdev', weights: ['1.0.9': 0, '1.0.10': 0]], 'sum to 0'],
            [[app: 'files', env: 'webdev', weights: ['1.0.9': 150]], "weights['1.0.9'] must be 0-100"],
            [[app: 'files', env: 'webdev', weights: ['1.0.9,1.0.10': 100]], "invalid version '1.0.9,1.0.10'"],
            [[app: 'files', env: 'webdev', weight: 25, edge: ''], "'edge' is the name"],
            [[app: 'files', env: 'webdev', weigth: 25], 'unknown parameter(s) [weigth]'],
            [[app: 'files', env: 'webdev', weight: 25, match: ['header:x=1']], 'not both weight and match'],
            [[app: 'files', env: 'webdev', match: []], "'match' is a list"],
            [[app: 'files', env: 'webdev', match: [' ']], "'match' is a list"],
            [[app: 'files', env: 'webdev', match: [[name: 'x']]], "'match' is a list"],
            [[app: 'files', env: 'webdev', clearMatch: 'yes'], "'clearMatch' is true"],
            [[app: 'files', env: 'webdev', mirrorPercent: 101], "'mirrorPercent' is the share"],
            [[app: 'files', env: 'webdev', mirrorPercent: 'half'], "'mirrorPercent' must be a whole number"],
            [[app: 'files', env: 'webdev', weight: 20, sticky: 'yes'], "'sticky' is true"],
            [[app: 'files', env: 'webdev', weight: 20, stickyCookie: 'sc'], "go with 'sticky: true'"],
            [[app: 'files', env: 'webdev', weight: 20, sticky: false, stickyTtl: '1h'], "go with 'sticky: true'"],
            [[app: 'files', env: 'webdev', match: ['header:x=1'], sticky: true], "'sticky' goes with 'weight' or 'weights'"],
            [[app: 'files', env: 'webdev', weight: 20, sticky: true, stickyCookie: ' '], "'stickyCookie' is the cookie's name"],
            [[app: 'files', env: 'webdev', weight: 20, sticky: true, stickyTtl: 'an hour'], "'stickyTtl' is how long"],
        ].collect { it as Object[] }
    }

    @ParameterizedTest
    @MethodSource('badParameters')
    void badParametersFailBeforeAnythingRuns(Map config, String message) {
        assertThatThrownBy { runStep('envoyShiftTraffic', config) }
                .isInstanceOf(StepFailure).hasMessageStartingWith('envoyShiftTraffic: ').hasMessageContaining(message)
        assertThat(calls('swarmCanaryExecute')).isEmpty()
        assertThat(shCalls).isEmpty()
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.MethodSource

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/** The lifecycle step against a scripted CLI: order of shifts and gates, where gates wait, rollback on every way out. */
class SwarmCanaryDeployStepTest extends PipelineTestSupport {
    static final String SECRET = 's3cr3t "$PATH" `reboot` \'; rm -rf /'
    static final Map CALL = [app: 'files', env: 'webdev', version: '1.0.10', image: 'registry.example.com/files:1.0.10',
                             domains: ['files.webdev.example.com'], submitter: 'release-managers']
    static final List<String> ALL_GATES = ['input files-webdev-5', 'input files-webdev-25', 'input files-webdev-50', 'input files-webdev-100']

    /** The deploy's weights by version: a stable 1.0.9 and the new canary at 0, as the CLI reports them. */
    Map<String, Integer> deployedWeights = ['1.0.9': 100, '1.0.10': 0]
    /** The CLI call ('deploy', 'next', 'shift 25', 'promote', 'rollback') that fails with exit 1, or is aborted by bob. */
    String failAt
    String abortAt
    /** The CLI call that is interrupted, and how. */
    Map<String, Throwable> abortAtWith = [:]
    /** The service status reports as the track's canary. */
    String statusCanary = 'files-webdev-1_0_10'

    /** analyze's verdict per canary weight: 'pass' (default), 'fail' or 'inconclusive'. */
    Map<Integer, String> verdicts = [:]
    List<Map> archived = []
    /** The events file as the report command found it; whether the deploy found the compose file in its workspace. */
    String reportedEvents
    Boolean composeOnDeployAgent

    @BeforeEach
    void cliOnAgent() {
        env.SWARM_CANARY_CLI = '/opt/swarm-canary'
        files['/opt/swarm-canary'] = 'cli'
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map m -> archived << m })
        helper.registerAllowedMethod('deleteDir', [], { ->
            if (currentDir.contains('/swarm-canary/verify-')) {
                timeline << 'token removed'
            }
            deleteAgentDir(currentDir)
        })
        stashes['compose'] = ['docker-compose.yml': 'services: {web: {image: files}}', 'stack.yml': 'services: {web: {image: files}}']
    }

    int lastShift = 0
    List<List<String>> agentArgFiles = []

    /** Whether the edge lets a canary token through (canary-token's edgeForcesCanary); the token files the fake CLI wrote. */
    boolean edgeForcesCanary = true
    List<String> tokenFiles = []

    @Override
    protected int fakeSh(String script) {
        if (script == SMOKE_TEST) {
            timeline << 'verify'
            if (abortAtWith.containsKey('verify')) {
                throw abortAtWith['verify']
            }
            verified << [file: env.SWARM_CANARY_TOKEN_FILE, header: env.SWARM_CANARY_TOKEN_HEADER, blocks: new ArrayList(blocks),
                         token: readAgentFile(env.SWARM_CANARY_TOKEN_FILE),
                         headerLine: readAgentFile(env.SWARM_CANARY_TOKEN_HEADER_FILE), headerFile: env.SWARM_CANARY_TOKEN_HEADER_FILE]
            return smokeTestExit
        }
        if (!script.contains('"@$SWARM_CANARY_ARGS"')) {
            return super.fakeSh(script)
        }
        List<String> args = argsOfFile(readAgentFile(env.SWARM_CANARY_ARGS))
        agentArgFiles << args
        String call = cliCall(args)
        if (call == abortAt) {
            throw new FlowInterruptedException(new UserInterruption('bob'))
        }
        if (abortAtWith.containsKey(call)) {
            throw abortAtWith[call]
        }
        if (args[0] == 'shift') {
            lastShift = args[args.indexOf('--weight') + 1] as int
        }
        cliExit = call == failAt ? 1 : 0
        cliStdout = call == failAt ? cliError('failed', 'envoy did not serve the new config within 3m') : answer(args)
        if (args[0] == 'analyze' && call != failAt) {
            cliExit = [pass: 0, fail: 1, inconclusive: 4][verdicts.get(lastShift, 'pass')]
            // as the CLI does: the analysis is appended to the events file (--events), in this agent's workspace
            String events = agentPath(args[args.indexOf('--events') + 1])
            writeAgentFile(events, (agentFileExists(events) ? readAgentFile(events) : '') +
                    "{\"type\":\"analysis\",\"step\":\"${lastShift}%\",\"agent\":\"${agent}\"}\n")
        }
        if (args[0] in ['shift', 'route', 'mirror'] && args.contains('--events') && call != failAt) {
            // as the CLI does: the change is appended to the events file, in this agent's workspace
            String events = agentPath(args[args.indexOf('--events') + 1])
            writeAgentFile(events, (agentFileExists(events) ? readAgentFile(events) : '') +
                    "{\"type\":\"${args[0] == 'shift' ? 'weights' : args[0]}\",\"call\":\"${call}\",\"agent\":\"${agent}\"}\n")
        }
        if (args[0] == 'report') {
            String events = agentPath(args[args.indexOf('--events') + 1])
            reportedEvents = agentFileExists(events) ? readAgentFile(events) : null
        }
        if (args[0] == 'deploy' && call != failAt) {
            deployAnswered = true
        }
        if (args[0] == 'deploy' && args.contains('--compose')) {
            composeOnDeployAgent = agentFileExists(agentPath(args[args.indexOf('--compose') + 1]))
        }
        return super.fakeSh(script)
    }

    static String cliCall(List<String> args) {
        args[0] == 'shift' ? "shift ${args[args.indexOf('--weight') + 1]}${args.contains('--sticky') ? ' sticky' : ''}".toString()
                : args[0] == 'route' ? "route ${args.findAll { it.contains(':') }.join(' ')}".toString()
                : args[0] == 'mirror' ? (args.contains('--off') ? 'mirror off' : "mirror ${args[args.indexOf('--percent') + 1]}".toString())
                : args[0] == 'analyze' && args.contains('--traffic') ? "analyze ${args[args.indexOf('--traffic') + 1]}".toString()
                : args[0]
    }

    /** The real deploy's recorded answers, by the weights it reports (the situations io.swarmcanary.cli.CliAnswersTest records). */
    static final Map<Map<String, Integer>, String> RECORDED_DEPLOYS = [
        (['1.0.9': 100, '1.0.10': 0]): 'deploy-canary', (['1.0.9': 75, '1.0.10': 25]): 'deploy-resumed',
        (['1.0.10': 100]): 'deploy-first', ([:]): 'deploy-unrouted']

    /** analyze's recorded answer for each verdict (exit 0, 1 with the rollback, 4). */
    static final Map<String, String> RECORDED_ANALYSES = [pass: 'analyze-pass', fail: 'analyze-fail-rolled-back',
                                                          inconclusive: 'analyze-not-enough-data']

    String answer(List<String> args) {
        switch (args[0]) {
            case 'deploy':
                // a re-run that finds the canary at another weight (100%, or promoted): the recorded re-run with those weights
                String recorded = RECORDED_DEPLOYS[deployedWeights]
                return recorded ? cliJson(recorded) : cliJsonWith('deploy-resumed') { Map deploy -> deploy.weights = deployedWeights }
            case 'shift':
                // the recorded shift to 25% (or the sticky one), with the weights of the shift asked for
                int w = args[args.indexOf('--weight') + 1] as int
                return cliJsonWith(args.contains('--sticky') ? 'shift-sticky' : 'shift-25') { Map shift ->
                    shift.weights = ['1.0.9': 100 - w, '1.0.10': w] }
            case 'next':
                return next(args)
            case 'canary-token':
                // as the CLI does: the token into --out (a file only its owner reads), the JSON without it
                String out = args[args.indexOf('--out') + 1]
                String header = args[args.indexOf('--header-out') + 1]
                tokenFiles << out
                writeAgentFile(out, 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJmaWxlcy13ZWJkZXYifQ.c2lnbmF0dXJl\n')
                writeAgentFile(header, 'x-canary-token: eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJmaWxlcy13ZWJkZXYifQ.c2lnbmF0dXJl\n')
                return cliJsonWith('canary-token') { Map token -> token.file = out; token.edgeForcesCanary = edgeForcesCanary }
            case 'analyze':
                String verdict = verdicts.get(lastShift, 'pass')
                return cliJson(verdict == 'pass' && args.contains('mirrored') ? 'analyze-mirrored-pass' : RECORDED_ANALYSES[verdict])
            case 'promote':
            case 'rollback':
            case 'report':
                return cliJson(args[0])
            case 'route':
                return cliJson('route-ab')
            case 'mirror':
                return cliJson('mirror-10')
            default:
                throw new AssertionError("unexpected CLI call ${args}")
        }
    }

    /** Whether the fake deploy answered: next then reads the cluster as that deploy left it. */
    boolean deployAnswered = false

    /**
     * swarm-canary next as the real command answers: its own decision code and JSON printer (io.swarmcanary.cli.NextCommand),
     * on the cluster the test describes: after a deploy, deployedWeights with statusCanary as the canary (none: promoted);
     * after a deploy that failed, the stable 1.0.9, someone's 1.0.11, and statusCanary claimed.
     */
    String next(List<String> args) {
        def command = new io.swarmcanary.cli.NextCommand()
        def cli = new picocli.CommandLine(command)
        StringWriter out = new StringWriter()
        cli.setOut(new PrintWriter(out))
        cli.parseArgs(args.drop(1) as String[])
        Map<String, Integer> byVersion = deployAnswered ? deployedWeights : ['1.0.9': 100, '1.0.11': 0]
        String stableVersion = byVersion.findAll { "files-webdev-${it.key.replace('.', '_')}" != statusCanary }.max { it.value }?.key
        boolean edgeRoutes = !(deployAnswered && deployedWeights.isEmpty()) // a deploy reporting no weights found no edge
        List releases = []
        (edgeRoutes ? byVersion.keySet() : ['1.0.10']).eachWithIndex { String version, int i ->
            String name = "files-webdev-${version.replace('.', '_')}".toString()
            releases << new io.swarmcanary.swarm.ServiceInfo('id-' + name, name, 1, [(io.swarmcanary.release.Labels.VERSION): version],
                    'img', 1, [], [], "2026-01-0${i + 1}T00:00:00Z".toString())
        }
        Map<String, Integer> weights = byVersion.collectEntries { [("files-webdev-${it.key.replace('.', '_')}".toString()): it.value] }
        if (!deployAnswered && statusCanary) {
            weights[statusCanary] = 0
        }
        String stable = stableVersion ? "files-webdev-${stableVersion.replace('.', '_')}".toString() : null
        String previous = statusCanary == null ? weights.keySet().find { it != stable } : null
        def entry = new io.swarmcanary.edge.RouteTable.TrackEntry(weights, statusCanary, stable, previous, [])
        def decision = io.swarmcanary.pipeline.NextStep.decide(command.trackOptions.track(),
                command.version, command.steps, !command.noGates, command.edgeOptions.edge, edgeRoutes, entry, releases, null)
        command.print(decision)
        return out.toString()
    }

    /** The timeline with CLI calls shortened to what they do, e.g. ['deploy', 'shift 5', 'input files-webdev-5', ...]. */
    List<String> events() {
        timeline.findAll { it != 'milestone' }.collect { it.startsWith('cli ') ? cliCall(it.substring(4).split(' ') as List) : it }
    }

    /** The timeouts around the gates: all but those bounding each agent's CLI call (agentTimeout, 60 minutes by default). */
    List<Map> gateTimeouts() {
        calls('timeout')*.args*.getAt(0) - [[time: 60, unit: 'MINUTES']]
    }

    def deploy(Map overrides = [:]) {
        runStep('swarmCanaryDeploy', CALL + overrides)
    }

    @Test
    void shiftsThenAsksBetweenEveryIncrementAndBeforePromote() {
        def result = deploy()
        assertThat(events()).containsExactly('deploy', 'next', 'shift 5', 'input files-webdev-5', 'shift 25', 'input files-webdev-25',
                'shift 50', 'input files-webdev-50', 'shift 100', 'input files-webdev-100', 'promote')
        assertThat(result.outcome).isEqualTo('promoted')
        assertThat(result.service).isEqualTo('files-webdev-1_0_10')
        assertThat(result.weights).isEqualTo(['1.0.9': 0, '1.0.10': 100])
    }

    @Test
    void gatesWaitOutsideAnyNodeUnderATimeoutAndTheTrackLock() {
        deploy(approvalTimeout: [time: 2, unit: 'HOURS'], nodeLabel: 'swarm')
        assertThat(inputCalls).hasSize(4)
        inputCalls.each { gate ->
            assertThat(gate.blocks).as('no executor is held while waiting').containsExactly('lock', 'timeout')
            assertThat(gate.args).containsEntry('submitter', 'release-managers').containsEntry('submitterParameter', 'approver')
        }
        assertThat(inputCalls*.args*.id).containsExactly('files-webdev-5', 'files-webdev-25', 'files-webdev-50', 'files-webdev-100')
        assertThat(inputCalls[0].args.message.toString()).isEqualTo('files 1.0.10 takes 5% of webdev. Shift 1.0.10 to 25%?')
        assertThat(inputCalls[3].args.message.toString()).contains('takes 100%').contains('Promote 1.0.10')
        assertThat(gateTimeouts()).containsOnly([time: 2, unit: 'HOURS'])
        // every CLI call runs on an agent of the label, one short node block each
        assertThat(shCalls).isNotEmpty().allMatch(matching { it.blocks == ['lock', 'timeout', 'node(swarm)'] })
        assertThat(calls('node')).hasSize(6)
    }

    @Test
    void theDefaultsAreFourGatesOfOneHourForAnyAgent() {
        deploy(submitter: null)
        assertThat(events().findAll { it.startsWith('shift') }).containsExactly('shift 5', 'shift 25', 'shift 50', 'shift 100')
        assertThat(gateTimeouts()).containsOnly([time: 1, unit: 'HOURS'])
        assertThat(inputCalls*.args*.submitter).hasSize(4).allMatch(matching { it == null })
        assertThat(shCalls).allMatch(matching { it.blocks == ['lock', 'timeout', 'node'] })
    }

    @Test
    void locksTheTrackAndPassesAMilestoneBeforeAnythingRuns() {
        deploy()
        def lock = calls('lock')
        assertThat(lock).hasSize(1)
        assertThat(lock[0].args[0]).isEqualTo([resource: 'swarm-canary/files-webdev', inversePrecedence: true])
        assertThat(timeline[0]).isEqualTo('milestone')
        assertThat(calls('milestone')[0].args[0].label.toString()).isEqualTo('swarm-canary files-webdev')
        assertThat(calls('milestone')).hasSize(1)
        assertThat(shCalls).allMatch(matching { it.blocks[0] == 'lock' })
    }

    static final Map ANALYSIS = [window: '1m', maxErrorRate: 1, maxP99: 500]

    @Test
    void analysisRunsAfterEveryShiftBeforeTheGateAndTheReportIsArchived() {
        def result = deploy(analysis: ANALYSIS)
        assertThat(events()).containsExactly('deploy', 'next', 'shift 5', 'analyze', 'input files-webdev-5', 'shift 25', 'analyze',
                'input files-webdev-25', 'shift 50', 'analyze', 'input files-webdev-50', 'shift 100', 'analyze',
                'input files-webdev-100', 'promote', 'report')
        List<String> analyze = agentArgFiles.find { it[0] == 'analyze' }
        assertThat(analyze.join(' ')).contains('--app files --env webdev').contains('--window 1m').contains('--max-error-rate 1%')
                .contains('--max-p99 500ms').contains('--rollback-on-fail').contains('--events swarm-canary-events.jsonl')
        assertThat(result.analyses*.verdict).containsExactly('pass', 'pass', 'pass', 'pass')
        assertThat(result.report).isEqualTo('swarm-canary-report.html')
        assertThat(archived.collect { it.artifacts.toString() }).containsExactly('swarm-canary-report.html,swarm-canary-events.jsonl')
        // the approvals are in the record the report is made from, with who approved
        assertThat(readAgentFile('swarm-canary-events.jsonl')).contains('"type":"approval"').contains('"approver":"alice"')
                .contains('"step":"100%"')
    }

    @Test
    void onManyAgentsTheReportHasEveryAnalysisAndApprovalOfThisRunOnly() {
        agentPool = true
        files['/ws/agent-3/swarm-canary-events.jsonl'] = '{"type":"analysis","step":"5%","build":"an older one"}\n'
        deploy(analysis: ANALYSIS)
        assertThat(shCalls*.env*.NODE_NAME.unique()).as('the CLI ran on several agents').hasSize(3)
        List<String> lines = reportedEvents.readLines()
        assertThat(lines.findAll { it.contains('"type":"analysis"') }).hasSize(4).noneMatch(matching { it.contains('an older one') })
        assertThat(lines.findAll { it.contains('"type":"approval"') }).hasSize(4)
        // every shift is in the record too, whichever agent made it: the report draws the weights over time from them
        assertThat(lines.findAll { it.contains('"type":"weights"') }.collect { it.find(/shift \d+/) })
                .containsExactly('shift 5', 'shift 25', 'shift 50', 'shift 100')
        assertThat(archived).hasSize(1)
    }

    @Test
    void aReRunOnAnotherAgentCarriesOnAsWell() {
        agentPool = true
        deployedWeights = ['1.0.9': 75, '1.0.10': 25]
        deploy(analysis: ANALYSIS)
        assertThat(events()).containsExactly('deploy', 'next', 'input files-webdev-25', 'shift 50', 'analyze', 'input files-webdev-50',
                'shift 100', 'analyze', 'input files-webdev-100', 'promote', 'report')
        assertThat(reportedEvents.readLines().findAll { it.contains('"type":"analysis"') }).hasSize(2)
    }

    @Test
    void aComposeFileOutsideANodeNeedsAStashAndNothingRuns() {
        assertThatThrownBy { deploy(image: null, compose: 'stack.yml', service: 'web') }.isInstanceOf(StepFailure)
                .hasMessageContaining("give composeStash: 'compose'").hasMessageContaining('Nothing was deployed')
        assertThat(cliRuns).isEmpty()
    }

    @Test
    void aComposeFileTravelsByStashToTheAgentThatDeploys() {
        agentPool = true
        stashes['compose'] = ['stack.yml': 'services: {web: {image: files}}', '.env': 'TAG=1.0.10']
        deploy(image: null, compose: 'stack.yml', service: 'web', composeStash: 'compose', approval: false)
        assertThat(composeOnDeployAgent).isTrue()
    }

    @Test
    void aFailedAnalysisRollsBackWithoutAskingAndSaysWhy() {
        verdicts[25] = 'fail'
        assertThatThrownBy { deploy(analysis: ANALYSIS) }.isInstanceOf(StepFailure)
                .hasMessageContaining('failed analysis at 25%: error rate 13.98% > allowed 1%')
                .hasMessageContaining('rolled back automatically, without waiting for approval')
                .hasMessageContaining('files-webdev-1_0_10 was removed')
        assertThat(events()).containsExactly('deploy', 'next', 'shift 5', 'analyze', 'input files-webdev-5', 'shift 25', 'analyze', 'report')
        assertThat(inputCalls*.args*.id).doesNotContain('files-webdev-25')
    }

    @Test
    void notEnoughDataAsksAHuman() {
        verdicts[5] = 'inconclusive'
        deploy(analysis: ANALYSIS)
        assertThat(events()).startsWith('deploy', 'next', 'shift 5', 'analyze', 'input files-webdev-5')
    }

    @Test
    void notEnoughDataWithoutGatesFailsAndRollsBack() {
        verdicts[5] = 'inconclusive'
        assertThatThrownBy { deploy(analysis: ANALYSIS, approval: false) }.isInstanceOf(StepFailure)
                .hasMessageContaining('not enough data').hasMessageContaining('rolled back')
        assertThat(events()).contains('rollback').doesNotContain('shift 25')
    }

    @Test
    void recordsWhoApprovedEachGate() {
        List<String> approvers = ['alice', 'bob', 'carol', 'dave']
        inputAnswer = { Map m -> approvers[inputCalls.size() - 1] }
        def result = deploy()
        assertThat(result.approvals).containsExactly(
                [gate: 'files-webdev-5', weight: 5, approver: 'alice'], [gate: 'files-webdev-25', weight: 25, approver: 'bob'],
                [gate: 'files-webdev-50', weight: 50, approver: 'carol'], [gate: 'files-webdev-100', weight: 100, approver: 'dave'])
        assertThat(calls('echo')*.args*.getAt(0)*.toString()).contains("swarmCanaryDeploy: gate 'files-webdev-25' approved by bob")
    }

    @Test
    void anApproverAmongOtherInputValuesIsFound() {
        inputAnswer = { Map m -> [approver: 'erin', comment: 'metrics fine'] }
        assertThat(deploy(weights: [50]).approvals).containsExactly([gate: 'files-webdev-50', weight: 50, approver: 'erin'])
    }

    @Test
    void stickySessionsGoWithEveryShift() {
        deploy(weights: [10, 50, 100], sticky: true, stickyCookie: 'shop-v', stickyTtl: '30m')
        assertThat(events()).containsExactly('deploy', 'next', 'shift 10 sticky', 'input files-webdev-10', 'shift 50 sticky',
                'input files-webdev-50', 'shift 100 sticky', 'input files-webdev-100', 'promote')
        List<List<String>> shifts = agentArgFiles.findAll { it[0] == 'shift' }
        assertThat(shifts).hasSize(3)
        for (List<String> args : shifts) {
            assertThat(args).containsSequence('--sticky', '--cookie', 'shop-v', '--ttl', '30m')
        }
    }

    @Test
    void stickyFalseIsAShiftAsAlways() {
        deploy(weights: [10, 100], sticky: false)
        for (List<String> args : agentArgFiles.findAll { it[0] == 'shift' }) {
            assertThat(args).doesNotContain('--sticky', '--no-sticky')
        }
    }

    @Test
    void ownWeightsGiveOwnGates() {
        deploy(weights: [10, 100])
        assertThat(events()).containsExactly('deploy', 'next', 'shift 10', 'input files-webdev-10', 'shift 100', 'input files-webdev-100', 'promote')
    }

    static List<Object[]> everyWayOutAtEveryGate() {
        [5, 25, 50, 100].collectMany { weight ->
            [
                ['rejected', { new FlowInterruptedException(new Rejection('mallory')) }, 'was rejected by mallory'],
                ['timed out', { new FlowInterruptedException(new ExceededTimeout()) }, 'got no approval within 1 hour (approvalTimeout)'],
                ['timed out (older Jenkins)', { new FlowInterruptedException(new Rejection('SYSTEM')) }, 'got no approval within 1 hour (approvalTimeout)'],
                ['aborted', { new FlowInterruptedException(new UserInterruption('bob')) }, 'was aborted by bob'],
                ['superseded', { new FlowInterruptedException(new CanceledCause()) }, 'was interrupted (Superseded by #7)'],
            ].collect { [weight] + it as Object[] }
        }
    }

    @ParameterizedTest(name = '{1} at the {0}% gate')
    @MethodSource('everyWayOutAtEveryGate')
    void stoppingAtAGateRollsBackAndSaysWhatHappened(int weight, String how, Closure<Throwable> interruption, String said) {
        Throwable stop = interruption()
        inputAnswer = { Map m -> if (m.id == "files-webdev-${weight}") { throw stop }; 'alice' }
        assertThatThrownBy { deploy() }.as('the build ends ABORTED: Jenkins\' own interruption, not error()').isSameAs(stop)
        assertThat(log()).anyMatch(matching {
            it.startsWith("swarmCanaryDeploy: 1.0.10 of files-webdev ${said} at the ${weight}% gate 'files-webdev-${weight}'") &&
                    it.contains('rolled back: files-webdev-1_0_9 takes all traffic again and files-webdev-1_0_10 was removed')
        })
        List<String> events = events()
        assertThat(events.last()).isEqualTo('rollback')
        assertThat(events[-2]).isEqualTo("input files-webdev-${weight}".toString())
        assertThat(events).doesNotContain('promote')
        assertThat(shCalls.last().blocks).as('the rollback runs on an agent').containsExactly('lock', 'timeout', 'node')
    }

    static List<Object[]> everyCliStepAfterTheDeploy() {
        [['shift 5', 'while shifting to 5%'], ['shift 25', 'while shifting to 25%'], ['shift 100', 'while shifting to 100%'],
         ['promote', 'while promoting']].collect { it as Object[] }
    }

    static final String SMOKE_TEST = './smoke-test.sh'
    /** What the verify closure's sh saw, each time it ran; its exit code. */
    List<Map> verified = []
    int smokeTestExit = 0

    def deployVerified(Map overrides = [:]) {
        runStepWithSh('swarmCanaryDeploy', CALL + overrides, 'verify', SMOKE_TEST)
    }

    @Test
    void verifyRunsOnAnAgentBeforeTheCanaryTakesTrafficWithATokenInAFileThatIsRemovedAfter() {
        def result = deployVerified(nodeLabel: 'swarm')

        assertThat(events()).containsSequence('deploy', 'next', 'canary-token', 'verify', 'token removed', 'shift 5', 'input files-webdev-5')
        assertThat(result.outcome).isEqualTo('promoted')
        assertThat(verified).hasSize(1)
        Map seen = verified[0]
        assertThat(seen.blocks).as('on an agent of nodeLabel').contains('node(swarm)')
        assertThat(seen.header).isEqualTo('x-canary-token')
        assertThat(seen.token).startsWith('eyJ')
        assertThat(tokenFiles).containsExactly(seen.file)
        assertThat(seen.file).as('in the workspace@tmp, not the workspace the job archives').contains('@tmp/swarm-canary/verify-')
        assertThat(seen.headerLine).isEqualTo('x-canary-token: ' + seen.token)
        assertThat(files).as('removed after verify').doesNotContainKeys(seen.file, seen.headerFile)
        String token = seen.token.trim()
        assertThat(cliRuns + shScripts() + log()).as('the token is on no command line, script or log line')
                .noneMatch(matching { it.contains(token) })
        List<String> tokenCall = agentArgFiles.find { it[0] == 'canary-token' }
        assertThat(tokenCall).containsSubsequence('--app', 'files', '--env', 'webdev', '--ttl', '30m', '--out', seen.file,
                '--header-out', seen.headerFile)
    }

    @Test
    void aFailingVerifyRollsBackBeforeAnyTrafficAndRemovesTheToken() {
        smokeTestExit = 1
        assertThatThrownBy { deployVerified() }.isInstanceOf(StepFailure)
                .hasMessageContaining('while verifying 1.0.10 through the edge before it takes traffic; rolled back')
        assertThat(events()).containsExactly('deploy', 'next', 'canary-token', 'verify', 'token removed', 'rollback')
        assertThat(files.keySet()).noneMatch(matching { it.contains('/verify-') })
    }

    @Test
    void verifyOnAnEdgeThatDoesNotLetTokensThroughSaysHowToTurnItOnAndRollsBack() {
        edgeForcesCanary = false
        assertThatThrownBy { deployVerified() }.isInstanceOf(StepFailure)
                .hasMessageContaining("'swarm-canary edge ensure --edge envoy --force-canary on' once")
        assertThat(events()).containsExactly('deploy', 'next', 'canary-token', 'token removed', 'rollback')
        assertThat(verified).isEmpty()
    }

    @Test
    void verifyIsAClosure() {
        assertThatThrownBy { deploy(verify: SMOKE_TEST) }.isInstanceOf(StepFailure)
                .hasMessageContaining("'verify' is a closure run before the canary takes traffic")
        assertThat(events()).isEmpty()
    }

    @Test
    void aFirstReleaseIsNotVerifiedItIsNoCanary() {
        deployedWeights = ['1.0.10': 100]
        deployVerified()
        assertThat(events()).containsExactly('deploy', 'next')
        assertThat(log()).anyMatch(matching { it.contains('verify was not run: 1.0.10 is not a canary') })
    }

    @ParameterizedTest(name = '{0} fails')
    @MethodSource('everyCliStepAfterTheDeploy')
    void aFailedStepRollsBack(String step, String said) {
        failAt = step
        assertThatThrownBy { deploy() }.isInstanceOf(StepFailure)
                .hasMessageContaining("failed (swarm-canary ${step.split(' ')[0]} (exit 1, failed; see its messages above): envoy did not serve")
                .hasMessageContaining("${said}; rolled back: files-webdev-1_0_9 takes all traffic again")
        assertThat(events().takeRight(2)).containsExactly(step, 'rollback')
    }

    @Test
    void anAbAudienceReachesTheCanaryAndIsApprovedBeforeAnyWeight() {
        def result = deploy(strategy: 'ab', match: ['header:x-beta=1', 'cookie:beta=yes'], weights: [25, 100])
        assertThat(events()).containsExactly('deploy', 'next', 'route header:x-beta=1 cookie:beta=yes', 'input files-webdev-0',
                'shift 25', 'input files-webdev-25', 'shift 100', 'input files-webdev-100', 'promote')
        assertThat(inputCalls[0].args.message.toString()).isEqualTo('files 1.0.10 takes 0% of webdev. Shift 1.0.10 to 25%?')
        assertThat(result.canaryTraffic.match).isEqualTo(['cookie:beta=yes', 'header:x-beta=1'])
        assertThat(result.outcome).isEqualTo('promoted')
    }

    @Test
    void mirroringStartsRightAfterTheDeployAndARejectionAtItsGateRollsBack() {
        Throwable stop = new FlowInterruptedException(new Rejection('bob'))
        inputAnswer = { Map m -> if (m.id == 'files-webdev-0') { throw stop }; 'alice' }
        assertThatThrownBy { deploy(strategy: 'mirror', mirrorPercent: 10) }.isSameAs(stop)
        assertThat(events()).containsExactly('deploy', 'next', 'mirror 10', 'input files-webdev-0', 'rollback')
        assertThat(log()).anyMatch(matching { it.contains("at the mirror gate 'files-webdev-0'") && it.contains('rolled back') })
    }

    @Test
    void mirroringStopsBeforeTheCanaryTakesRealTrafficAndIsNotRestartedOnAReRunPastZero() {
        deploy(strategy: 'mirror', mirrorPercent: 10, weights: [25, 100])
        assertThat(events()).containsExactly('deploy', 'next', 'mirror 10', 'input files-webdev-0', 'mirror off', 'shift 25',
                'input files-webdev-25', 'shift 100', 'input files-webdev-100', 'promote')
    }

    @Test
    void blueGreenIsJudgedOnMirroredTrafficThenSwitchesAllTrafficInOneShiftAfterOneApproval() {
        def result = deploy(strategy: 'bluegreen', mirrorPercent: 100, analysis: ANALYSIS)
        assertThat(events()).containsExactly('deploy', 'next', 'mirror 100', 'analyze mirrored', 'input files-webdev-0',
                'mirror off', 'shift 100', 'analyze', 'promote', 'report')
        assertThat(inputCalls).hasSize(1)
        assertThat(inputCalls[0].args.message.toString()).isEqualTo('files 1.0.10 takes 0% of webdev. Switch all traffic to ' +
                '1.0.10 (blue/green; the release it replaces is kept for rollback)?')
        assertThat(inputCalls[0].args.ok.toString()).isEqualTo('Switch')
        assertThat(result.analyses*.weight).containsExactly(0, 100)
        // the mirror and the switch are in the run's record, for the report
        assertThat(reportedEvents.readLines().collect { it.find(/"call":"([^"]+)"/) { all, call -> call } }.findAll())
                .containsExactly('mirror 100', 'mirror off', 'shift 100')
        assertThat(result.outcome).isEqualTo('promoted')
        // next is asked without gates: blue/green's one gate is its own, before the switch
        assertThat(agentArgFiles.find { it[0] == 'next' }).contains('--no-gates').containsSequence('--steps', '100')
    }

    @Test
    void blueGreenFindingItsReleasePartWayAsksBeforeTheSwitchToo() {
        deployedWeights = ['1.0.9': 75, '1.0.10': 25] // someone shifted it by hand
        deploy(strategy: 'bluegreen')
        assertThat(events()).containsExactly('deploy', 'next', 'input files-webdev-25', 'shift 100', 'promote')
    }

    @Test
    void blueGreenFailingOnMirroredTrafficIsRolledBackBeforeAnyoneIsAsked() {
        verdicts[0] = 'fail'
        assertThatThrownBy { deploy(strategy: 'bluegreen', mirrorPercent: 50, analysis: ANALYSIS) }.isInstanceOf(StepFailure)
                .hasMessageContaining('failed analysis on mirrored traffic, before any user reached it')
        assertThat(events()).containsExactly('deploy', 'next', 'mirror 50', 'analyze mirrored', 'report')
        assertThat(inputCalls).isEmpty()
    }

    @Test
    void blueGreenWithAVerifyBlockAndARejectedSwitchRollsBack() {
        Throwable stop = new FlowInterruptedException(new Rejection('bob'))
        inputAnswer = { Map m -> throw stop }
        assertThatThrownBy { deployVerified(strategy: 'bluegreen') }.isSameAs(stop)
        assertThat(events()).containsExactly('deploy', 'next', 'canary-token', 'verify', 'token removed', 'input files-webdev-0', 'rollback')
        assertThat(verified).hasSize(1)
        assertThat(log()).anyMatch(matching { it.contains("at the blue/green gate 'files-webdev-0'") && it.contains('rolled back') })
    }

    @Test
    void aRefusedMatchRollsTheCanaryBack() {
        failAt = 'route header:x-r~('
        assertThatThrownBy { deploy(strategy: 'ab', match: ['header:x-r~(']) }.isInstanceOf(StepFailure)
                .hasMessageContaining('while routing header:x-r~( to 1.0.10; rolled back')
        assertThat(events().takeRight(2)).containsExactly('route header:x-r~(', 'rollback')
    }

    @Test
    void abortedWhileShiftingRollsBack() {
        abortAt = 'shift 50'
        assertThatThrownBy { deploy() }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching { it.contains('was aborted by bob while shifting to 50%; rolled back') })
        assertThat(events().last()).isEqualTo('rollback')
    }

    @Test
    void aDeployRefusedBecauseOfAnotherCanaryLeavesThatCanaryAlone() {
        failAt = 'deploy'
        statusCanary = 'files-webdev-1_0_11'   // someone else's canary
        assertThatThrownBy { deploy() }.hasMessageContaining('failed (swarm-canary deploy (exit 1')
                .hasMessageContaining('while deploying 1.0.10; nothing to roll back: 1.0.10 is not the canary of files-webdev')
        assertThat(events()).containsExactly('deploy', 'next')
    }

    @Test
    void aDeployAbortedAfterItClaimedTheCanarySlotRollsBack() {
        abortAt = 'deploy'   // killed before its service existed: next knows only the claimed name
        assertThatThrownBy { deploy() }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching { it.contains('was aborted by bob while deploying 1.0.10; rolled back') })
        assertThat(events()).containsExactly('deploy', 'next', 'rollback')
    }

    @Test
    void aFailedRollbackSaysHowToFinishIt() {
        failAt = 'rollback'
        inputAnswer = { Map m -> throw new FlowInterruptedException(new Rejection('mallory')) }
        assertThatThrownBy { deploy(edge: 'edge-1') }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching {
            it.contains('was rejected by mallory at the 5% gate') && it.contains('the rollback failed too (swarm-canary rollback (exit 1') &&
                    it.contains("Run swarmCanaryRollback(app: 'files', env: 'webdev', edge: 'edge-1') " +
                            "or 'swarm-canary rollback --app files --env webdev --edge edge-1' to put the stable release back")
        })
    }

    @Test
    void underTheSandboxARejectionStillRollsBackFirstAndEndsAborted() {
        // the sandbox rejects FlowInterruptedException.getCauses: the step cannot say who, but the rollback has run
        FlowInterruptedException stop = new FlowInterruptedException(new Rejection('mallory'))
        stop.sandboxed = true
        inputAnswer = { Map m -> throw stop }
        assertThatThrownBy { deploy() }.isSameAs(stop)
        assertThat(events().takeRight(2)).containsExactly('input files-webdev-5', 'rollback')
        assertThat(log()).anyMatch(matching { it.contains('was stopped (rejected, timed out or aborted') && it.contains('rolled back: files-webdev-1_0_9') })
    }

    @Test
    void aStopWhileTheReportIsWrittenStopsTheBuildAndKeepsThePromotion() {
        abortAt = 'report'
        assertThatThrownBy { deploy(analysis: ANALYSIS) }.as('not swallowed, no \'promoted\' result').isInstanceOf(FlowInterruptedException)
        assertThat(events().takeRight(2)).containsExactly('promote', 'report')
        assertThat(events()).doesNotContain('rollback')
        assertThat(log()).anyMatch(matching { it.contains('1.0.10 of files-webdev was promoted, then was aborted by bob while writing the report') })
    }

    @Test
    void theFirstReleaseOfATrackNeedsNoGates() {
        deployedWeights = ['1.0.10': 100]
        def result = deploy()
        assertThat(events()).containsExactly('deploy', 'next')
        assertThat(result.outcome).isEqualTo('deployed')
        assertThat(result.weights).isEqualTo(['1.0.10': 100])
    }

    @Test
    void aReRunCarriesOnFromTheWeightTheCanaryHasWithItsGateFirst() {
        deployedWeights = ['1.0.9': 75, '1.0.10': 25]
        deploy()
        assertThat(events()).containsExactly('deploy', 'next', 'input files-webdev-25', 'shift 50', 'input files-webdev-50',
                'shift 100', 'input files-webdev-100', 'promote')
    }

    @Test
    void aReRunAfterThePromoteOnlyPromotesAgain() {
        deployedWeights = ['1.0.9': 0, '1.0.10': 100]
        statusCanary = null   // promoted: the track has no canary
        deploy()
        assertThat(events()).containsExactly('deploy', 'next', 'promote')
    }

    @Test
    void aReRunOfACanaryAtAllTrafficAsksBeforeItPromotes() {
        deployedWeights = ['1.0.9': 0, '1.0.10': 100]
        deploy()
        assertThat(events()).containsExactly('deploy', 'next', 'input files-webdev-100', 'promote')
    }

    @Test
    void withoutApprovalItShiftsStraightThrough() {
        deploy(approval: false)
        assertThat(events()).containsExactly('deploy', 'next', 'shift 5', 'shift 25', 'shift 50', 'shift 100', 'promote')
        assertThat(gateTimeouts()).isEmpty()
    }

    @Test
    void insideANodeItRefusesGatesBeforeAnythingRuns() {
        env.NODE_NAME = 'agent-7'
        assertThatThrownBy { deploy() }.isInstanceOf(StepFailure)
                .hasMessageContaining("called inside node('agent-7')").hasMessageContaining('Call it outside node')
                .hasMessageContaining('Nothing was deployed')
        assertThat(shCalls).isEmpty()
        assertThat(calls('lock')).isEmpty()
    }

    @Test
    void insideANodeItDoesNotWaitForALockedTrack() {
        env.NODE_NAME = 'agent-7'
        lockedResources << 'swarm-canary/files-webdev'
        assertThatThrownBy { deploy(approval: false) }.isInstanceOf(StepFailure)
                .hasMessageContaining('files-webdev is locked by another build').hasMessageContaining('Nothing was deployed')
        assertThat(calls('lock')[0].args[0]).containsEntry('skipIfLocked', true)
        assertThat(cliRuns).isEmpty()
    }

    @Test
    void everyAgentWaitIsBoundedWhileTheTrackIsLocked() {
        deploy(agentTimeout: 15, approval: false)
        assertThat(shCalls).allMatch(matching { it.blocks == ['lock', 'timeout', 'node'] })
        assertThat(calls('timeout')*.args*.getAt(0)).allMatch(matching { it == [time: 15, unit: 'MINUTES'] })
    }

    @Test
    void aVerifyBlockThatOutlastsTheAgentTimeoutSaysSoAndRollsBack() {
        abortAtWith = ['verify': new FlowInterruptedException(new ExceededTimeout())]
        assertThatThrownBy { deployVerified() }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching { it.contains('timed out: the agent wait and the verify block took over 60 minutes'
                + ' (agentTimeout) while verifying 1.0.10 through the edge before it takes traffic; rolled back') })
    }

    @Test
    void aVerifyTimeoutInsideTheCallersNodeIsNotBlamedOnAgentTimeout() {
        env.NODE_NAME = 'agent-7' // inside a node no agentTimeout applies: the timeout was the user's own
        abortAtWith = ['verify': new FlowInterruptedException(new ExceededTimeout())]
        assertThatThrownBy { deployVerified(approval: false) }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching { it.contains('timed out in the verify block while verifying 1.0.10') })
        assertThat(log()).noneMatch(matching { it.contains('(agentTimeout)') })
    }

    @Test
    void anAgentTimeoutSaysSoAndRollsBack() {
        abortAtWith = ['shift 25': new FlowInterruptedException(new ExceededTimeout())]
        assertThatThrownBy { deploy(approval: false) }.isInstanceOf(FlowInterruptedException)
        assertThat(log()).anyMatch(matching { it.contains('timed out: no agent and CLI answer within 60 minutes (agentTimeout) while shifting to 25%; rolled back') })
    }

    @Test
    void aMilestoneJenkinsRefusesInsideParallelNamesTheParameter() {
        helper.registerAllowedMethod('milestone', [Map], { Map m -> throw new IllegalStateException('Using a milestone step inside parallel is not allowed') })
        assertThatThrownBy { deploy() }.isInstanceOf(StepFailure)
                .hasMessageContaining('give milestone: false').hasMessageContaining('Nothing was deployed')
        assertThat(cliRuns).isEmpty()
    }

    @Test
    void withMilestoneFalseThereIsNone() {
        helper.registerAllowedMethod('milestone', [Map], { Map m -> throw new IllegalStateException('Using a milestone step inside parallel is not allowed') })
        deploy(milestone: false)
        assertThat(events()).endsWith('promote')
    }

    @Test
    void aNewerBuildPassingTheMilestoneAbortsThisOne() {
        FlowInterruptedException superseded = new FlowInterruptedException(new CanceledCause())
        helper.registerAllowedMethod('milestone', [Map], { Map m -> throw superseded })
        assertThatThrownBy { deploy() }.isSameAs(superseded)
        assertThat(cliRuns).isEmpty()
    }

    @Test
    void insideANodeWithoutApprovalItUsesThatNode() {
        env.NODE_NAME = 'agent-7'
        deploy(approval: false)
        assertThat(calls('node')).isEmpty()
        assertThat(events()).endsWith('promote')
    }

    @Test
    void anEdgeThatDoesNotRouteTheReleaseFailsWithoutRollingBack() {
        deployedWeights = [:]
        assertThatThrownBy { deploy() }.hasMessageContaining("was deployed, but nothing routes to it: edge 'envoy' does not exist yet")
                .hasMessageContaining('Create the edge or give domains, then re-run')
        assertThat(events()).containsExactly('deploy', 'next')
    }

    @Test
    void passesEveryDeployOptionToTheCli() {
        deploy(replicas: 3, port: 8080, domains: ['files.webdev.example.com', 'files.example.com:443'], networks: ['webdev_public', 'db'],
               envVars: [APP_VERSION: '1.0.10', GREETING: 'a "b" $HOME'], healthCmd: 'wget -q -O- http://127.0.0.1:8080/health',
               healthStartPeriod: '90s', constraints: ['node.role==worker'], deployTimeout: '10m', edge: 'edge-1', replaceCanary: true, imageCheck: false,
               compose: 'docker-compose.yml', composeStash: 'compose', service: 'web', stack: 'files', dockerHost: 'tcp://manager:2376', dockerCredentialsId: 'swarm-tls')
        assertThat(argsOfFile(cliRuns[0])).containsExactly('deploy', '--app', 'files', '--env', 'webdev', '--version', '1.0.10',
                '--image', 'registry.example.com/files:1.0.10', '--compose', 'docker-compose.yml', '--service', 'web', '--stack', 'files',
                '--replicas', '3', '--port', '8080', '--domain', 'files.webdev.example.com', '--domain', 'files.example.com:443',
                '--network', 'webdev_public', '--network', 'db', '--constraint', 'node.role==worker',
                '--env-var', 'APP_VERSION=1.0.10', '--env-var', 'GREETING=a "b" $HOME',
                '--health-cmd', 'wget -q -O- http://127.0.0.1:8080/health', '--health-start-period', '90s', '--timeout', '10m',
                '--edge', 'edge-1',
                '--replace-canary', '--no-image-check', '--output', 'json')
        assertThat(argsOfFile(cliRuns[1])).containsExactly('next', '--app', 'files', '--env', 'webdev', '--version', '1.0.10',
                '--steps', '5,25,50,100', '--edge', 'edge-1', '--output', 'json')
        assertThat(argsOfFile(cliRuns[2])).containsExactly('shift', '--app', 'files', '--env', 'webdev', '--weight', '5', '--edge', 'edge-1',
                '--output', 'json')
        assertThat(argsOfFile(cliRuns.last())).containsExactly('promote', '--app', 'files', '--env', 'webdev', '--edge', 'edge-1',
                '--output', 'json')
        assertThat(shCalls).allMatch(matching { it.env.DOCKER_HOST == 'tcp://manager:2376' && it.env.DOCKER_TLS_VERIFY == '1' })
    }

    @Test
    void aComposeServiceNeedsNoImage() {
        runStep('swarmCanaryDeploy', [app: 'files', env: 'webdev', version: '1.0.10', compose: 'stack.yml', composeStash: 'compose', service: 'web',
                                      domains: 'files.test', approval: false])
        assertThat(argsOfFile(cliRuns[0])).containsSequence('--compose', 'stack.yml', '--service', 'web').doesNotContain('--image')
    }

    @Test
    void secretsReachOnlyTheDeployAndNeverAScriptAnArgsFileOrTheLog() {
        secretValues['files-db'] = SECRET
        secretValues['files-tls'] = SECRET
        deploy(secrets: [[name: 'db_password', credentialsId: 'files-db'], [name: 'tls.key', credentialsId: 'files-tls', type: 'file']])

        def constants = libraryVar('swarmCanaryExecute').SCRIPTS
        shCalls.each { call ->
            assertThat(call.script).isInstanceOf(String)   // a constant, not a GString
            assertThat(constants).contains(call.script)
            assertThat(call.label ?: '').doesNotContain('s3cr3t')
        }
        cliRuns.each { assertThat(it).doesNotContain('s3cr3t') }
        assertThat(argsOfFile(cliRuns[0])).containsSequence('--secret', 'db_password=env:SWARM_CANARY_SECRET_0',
                '--secret', 'tls.key=file:/ws@tmp/secretFiles/files-tls/content')
        assertThat(boundCredentials.findAll { it.kind != 'dockerCert' }).containsExactly(
                [kind: 'string', credentialsId: 'files-db', variable: 'SWARM_CANARY_SECRET_0'],
                [kind: 'file', credentialsId: 'files-tls', variable: 'SWARM_CANARY_SECRET_1'])
        assertThat(shCalls[0].env).containsEntry('SWARM_CANARY_SECRET_0', SECRET)
        assertThat(shCalls.drop(1)).allMatch(matching { !it.env.values().contains(SECRET) })
        assertThat(calls('echo')*.args*.getAt(0)*.toString()).noneMatch(matching { it.contains('s3cr3t') })
        assertThat(inputCalls*.args*.message).noneMatch(matching { it.contains('s3cr3t') })
    }

    @Test
    void aRegistryLoginReachesOnlyTheDeployThroughTheEnvironment() {
        secretValues['registry-push'] = SECRET
        deploy(registryCredentialsId: 'registry-push', approval: false)
        assertThat(boundCredentials.findAll { it.kind == 'usernamePassword' }).containsExactly([kind: 'usernamePassword',
                credentialsId: 'registry-push', usernameVariable: 'SWARM_CANARY_REGISTRY_USER', passwordVariable: 'SWARM_CANARY_REGISTRY_PASSWORD'])
        assertThat(shCalls[0].env).containsEntry('SWARM_CANARY_REGISTRY', 'registry.example.com')
                .containsEntry('SWARM_CANARY_REGISTRY_USER', 'user-of-registry-push').containsEntry('SWARM_CANARY_REGISTRY_PASSWORD', SECRET)
        assertThat(shCalls.drop(1)).allMatch(matching { !it.env.containsKey('SWARM_CANARY_REGISTRY_PASSWORD') && !it.env.values().contains(SECRET) })
        cliRuns.each { assertThat(it).doesNotContain('s3cr3t').doesNotContain('registry-push') }
        assertThat(log()).noneMatch(matching { it.contains('s3cr3t') })

        shCalls.clear()
        deploy(registryCredentialsId: 'registry-push', registry: 'mirror.example.com:5000', approval: false)
        assertThat(shCalls[0].env).containsEntry('SWARM_CANARY_REGISTRY', 'mirror.example.com:5000')
    }

    static List<Object[]> badParameters() {
        [
            [[app: null], "'app' is required"],
            [[strategy: 'green'], "'strategy' is one of [canary, ab, mirror, bluegreen]"],
            [[strategy: 'bluegreen', weights: [25, 100]], "strategy: 'bluegreen' switches all traffic in one shift"],
            [[strategy: 'bluegreen', analysis: [window: '1m']], "strategy: 'bluegreen' with 'analysis' needs 'mirrorPercent'"],
            [[strategy: 'ab'], "strategy: 'ab' needs 'match'"],
            [[match: ['header:x=1']], "'match' goes with strategy: 'ab'"],
            [[strategy: 'ab', match: []], "'match' is a list"],
            [[strategy: 'mirror'], "strategy: 'mirror' needs 'mirrorPercent'"],
            [[strategy: 'mirror', mirrorPercent: 0], "'mirrorPercent' must be a whole number 1-100"],
            [[mirrorPercent: 5], "'mirrorPercent' goes with strategy: 'mirror' or 'bluegreen'"],
            [[sticky: 'yes'], "'sticky' is true"],
            [[stickyCookie: 'shop-v'], "'stickyCookie' and 'stickyTtl' go with 'sticky: true'"],
            [[sticky: true, stickyCookie: 'a;b'], "'stickyCookie' is the cookie's name"],
            [[sticky: true, stickyTtl: 'an hour'], "'stickyTtl' is how long"],
            [[strategy: 'bluegreen', sticky: true], "blue/green moves all traffic in one shift"],
            [[env: ' '], "'env' is required"],
            [[version: null], "'version' is required"],
            [[version: 1.1], "'version' is required"],
            [[domains: null], "'domains' is required"],
            [[domains: ['a', '']], "'domains' is a list of non-empty texts"],
            [[compose: 'stack.yml', domains: null], "'domains' is required"],
            [[weights: []], "'weights' is a list"],
            [[weights: '5,25'], "'weights' is a list"],
            [[weights: [25, 5]], "'weights' must rise"],
            [[weights: [5, 5]], "'weights' must rise"],
            [[weights: [0, 50]], "'weights' must be a whole number 1-100; was '0'"],
            [[weights: [5, 101]], "'weights' must be a whole number 1-100; was '101'"],
            [[weights: [12.5]], "'weights' must be a whole number 1-100"],
            [[approval: 'yes'], "'approval' is true or false"],
            [[approvalTimeout: 0], "'approvalTimeout' is minutes"],
            [[approvalTimeout: [time: 2, unit: 'WEEKS']], "'approvalTimeout' is minutes"],
            [[approvalTimeout: '2h'], "'approvalTimeout' is minutes"],
            [[submitter: ''], "'submitter' must be non-empty text"],
            [[envVars: 'A=1'], "'envVars' is a map"],
            [[secrets: [[name: 'db_password']]], 'needs name, credentialsId'],
            [[secrets: [[name: 'db', credentialsId: 'x', type: 'ssh']]], "type 'string' (default) or 'file'"],
            [[secrets: [[name: 'db', credentialsId: 'x', value: SECRET]]], 'secret [name:db, credentialsId:x] needs'],
            [[secrets: [[name: 'db', credentialsId: 'x'], [name: 'db', credentialsId: 'y']]], "secret 'db' is given twice"],
            [[secrets: 'db'], "'secrets' is a list"],
            [[replaceCanary: 'true'], "'replaceCanary' is true or false"],
            [[edge: ''], "'edge' must be non-empty text"],
            [[analysis: [window: 'soon']], "analysis.window is a duration"],
            [[analysis: [maxErrorRate: 150]], 'analysis.maxErrorRate is a percentage 0-100'],
            [[analysis: [maxP99: 0]], 'analysis.maxP99'],
            [[analysis: [source: 'graphite']], "analysis.source is 'envoy' or 'prometheus'"],
            [[analysis: [source: 'prometheus']], 'needs analysis.prometheusUrl'],
            [[analysis: [windw: '1m']], 'analysis: unknown key(s) [windw]'],
            [[analysis: '1m'], "'analysis' is a map"],
            [[weigths: [5, 100]], 'unknown parameter(s) [weigths]'],
            [[agent: 'swarm'], 'unknown parameter(s) [agent]'],
            [[composeStash: 'compose'], "'composeStash' goes with a 'compose' file"],
            [[envVars: [APP_VERSION: null]], "envVars: 'APP_VERSION' needs a value"],
            [[registryCredentialsId: 'registry-push', image: 'files:1.0.10'], "registryCredentialsId needs registry: the host[:port]"],
            [[registryCredentialsId: ''], "'registryCredentialsId' must be non-empty text"],
        ].collect { it as Object[] }
    }

    @ParameterizedTest(name = '{1}')
    @MethodSource('badParameters')
    void badParametersFailBeforeAnythingRuns(Map overrides, String message) {
        assertThatThrownBy { deploy(overrides) }.isInstanceOf(StepFailure)
                .hasMessageStartingWith('swarmCanaryDeploy: ').hasMessageContaining(message).hasMessageNotContaining('s3cr3t')
        assertThat(calls('lock')).isEmpty()
        assertThat(calls('node')).isEmpty()
        assertThat(calls('swarmCanaryExecute')).isEmpty()
        assertThat(shCalls).isEmpty()
        assertThat(inputCalls).isEmpty()
    }

    /**
     * Deploy options the CLI checks itself before it changes anything (once the step checked them too): the real CLI
     * reads the step's argument file (picocli, the deploy's own checks, a Docker host that cannot be reached should it
     * get that far) and its exit 2 and message are the fake's answer. Moved from badParameters: image, service, stack,
     * replicas, port and envVars' names.
     */
    static List<Object[]> badDeployOptions() {
        [
            [[image: null], '--image is required'],
            [[service: 'web'], '--service and --stack need --compose FILE'],
            [[stack: 'files'], '--service and --stack need --compose FILE'],
            [[replicas: -1], '--replicas must be at least 1'],
            [[port: 70000], '--port must be between 1 and 65535'],
            [[envVars: ['APP VERSION': '1']], "invalid --env 'APP VERSION=1'"],
        ].collect { it as Object[] }
    }

    /** The CLI of this build, run on the argument file as the agent would (the test JVM's classpath; no Docker reachable). */
    Map realCli(List<String> args) {
        File argsFile = File.createTempFile('swarm-canary-args', '')
        try {
            argsFile.setText(libraryVar('swarmCanaryExecute').argsFileText(args), 'UTF-8')
            ProcessBuilder pb = new ProcessBuilder('java', '-cp', System.getProperty('java.class.path'), 'io.swarmcanary.cli.SwarmCanary',
                    '@' + argsFile.path)
            pb.environment().put('DOCKER_HOST', 'tcp://127.0.0.1:9')
            pb.environment().remove('DOCKER_TLS_VERIFY')
            pb.redirectError(ProcessBuilder.Redirect.DISCARD)
            Process p = pb.start()
            String out = p.inputStream.getText('UTF-8')
            return [exit: p.waitFor(), out: out]
        } finally {
            argsFile.delete()
        }
    }

    @ParameterizedTest(name = '{1}')
    @MethodSource('badDeployOptions')
    void badDeployOptionsAreRefusedByTheCliBeforeAnythingChanges(Map overrides, String message) {
        Closure<Map> cli = this.&realCli
        helper.registerAllowedMethod('sh', [Map], { Map m ->
            if (!m.script.contains('"@$SWARM_CANARY_ARGS"')) {
                return runSh(m)
            }
            List<String> args = argsOfFile(readAgentFile(env.SWARM_CANARY_ARGS))
            timeline << 'cli ' + (args - ['--output', 'json']).join(' ')
            Map answer = cli(args)
            writeAgentFile(env.SWARM_CANARY_OUT, answer.out)
            return answer.exit
        })
        assertThatThrownBy { deploy(overrides) }.isInstanceOf(StepFailure)
                .hasMessageStartingWith('swarmCanaryDeploy: ')
                .hasMessageContaining('swarm-canary deploy (exit 2, bad input: nothing was changed').hasMessageContaining(message)
                .hasMessageContaining('nothing to roll back: the CLI refused the input before changing anything')
                .hasMessageNotContaining('cannot reach the Docker engine')
        assertThat(events()).containsExactly('deploy')
        assertThat(inputCalls).isEmpty()
    }

    @Test
    void analysisGivenAsNullIsAsIfNotGiven() {
        deploy(analysis: null, approval: false)
        assertThat(events()).endsWith('promote')
    }
}

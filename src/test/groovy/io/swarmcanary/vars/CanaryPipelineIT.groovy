package io.swarmcanary.vars

import io.swarmcanary.testing.TestSwarm
import io.swarmcanary.testing.Traffic
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.MethodOrderer
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestMethodOrder
import org.junit.jupiter.api.io.TempDir

import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.MessageDigest
import java.time.Duration

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/**
 * examples/Jenkinsfile.canary run by JenkinsPipelineUnit, its CLI calls really executed (bash, target/swarm-canary.jar)
 * against the real swarm and a real Envoy edge; traffic checked with real requests through Envoy.
 * Only the site-specific literals of the example are replaced (app, domain, edge, image, Docker endpoint), so its structure
 * is what runs; its build stage (docker build and push) is the application's business and is recorded, not run.
 * Builds 1, 2, 3 of the job: the first release; a canary approved at every gate; a canary rejected at the 25% gate.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation)
class CanaryPipelineIT extends PipelineTestSupport {
    static final File JAR = new File(REPO, 'target/swarm-canary.jar')
    static final File EXAMPLE = new File(REPO, 'examples/Jenkinsfile.canary')
    static final int PORT = 10121
    static final String APP = TestSwarm.uniqueApp('sctest-pipe-')
    static final String EDGE = APP + '-edge'
    static final String DOMAIN = APP + '.webdev.test'
    static final String TRACK = APP + '-webdev'
    static final String DB_PASSWORD = 'db "pass" $HOME ' + UUID.randomUUID()
    static final int REQUESTS = 200
    static final TestSwarm swarm = new TestSwarm()
    static final HttpClient http = client()

    @TempDir
    File tmp

    /** What the application's own build stage asked the shell to do (never run here). */
    List<String> buildScripts = []
    List<String> runnerScripts
    List<Map> archived = []

    @BeforeAll
    static void edge() {
        assert JAR.isFile() : 'target/swarm-canary.jar is missing: run mvn verify (it packages before integration tests)'
        assert ['docker', 'info'].execute().waitFor() == 0 : 'no Docker daemon: run testbed/up.sh'
        run(['java', '-jar', JAR.path, 'edge', 'ensure', '--edge', EDGE, '--port', PORT.toString(), '--image', TestSwarm.ENVOY, '--delivery', 'redeploy', '-q'])
    }

    @AfterAll
    static void cleanUp() {
        try {
            swarm.removeTrack(TRACK)
            swarm.removeEdge(EDGE)
        } finally {
            swarm.close()
        }
    }

    @BeforeEach
    void realAgent() {
        realAgent = true
        workspace = new File(tmp, 'workspace')
        workspace.mkdirs()
        env.putAll(System.getenv().findAll { k, v -> k in ['PATH', 'HOME', 'JAVA_HOME', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'] })
        env.SWARM_CANARY_CLI = JAR.path
        secretValues['files-webdev-db-password'] = DB_PASSWORD
        binding.setVariable('scm', [$class: 'GitSCM'])
        helper.registerAllowedMethod('checkout', [Map], { Map m -> null })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map m -> archived << m })
        runnerScripts = libraryVar('swarmCanaryExecute').SCRIPTS
    }

    /** The runner's scripts run for real; anything else is the application's build stage. */
    @Override
    protected def runSh(Map m) {
        if (!(m.script in runnerScripts)) {
            buildScripts << m.script
            return m.returnStatus ? 0 : null
        }
        return super.runSh(m)
    }

    /** The example with this test's app, domain, edge, image and Docker endpoint; each replaced text must be in it. */
    String pipeline(Map<String, String> changes = [:]) {
        String text = EXAMPLE.text
        ([
            "String image = \"registry.example.com/files:\${version}\"": "String image = '${TestSwarm.TESTAPP}'",
            "app: 'files'"                                       : "app: '${APP}'",
            "'files.webdev.example.com'"                          : "'${DOMAIN}'",
            "edge: 'envoy'"                                       : "edge: '${EDGE}'",
            "dockerHost: 'tcp://swarm-manager.example.com:2376'"  : 'dockerHost: null',
            "dockerCredentialsId: 'swarm-tls'"                    : 'dockerCredentialsId: null',
        ] + changes).each { String example, String here ->
            assert text.count(example) == 1 : "examples/Jenkinsfile.canary no longer holds ${example}: keep this test in step with it"
            text = text.replace(example, here)
        }
        File script = new File(PIPELINES, 'Jenkinsfile.canary.groovy')
        script.text = text
        return script.name
    }

    def build(int number, Map<String, String> changes = [:]) {
        env.BUILD_NUMBER = number.toString()
        return runScript(pipeline(changes))
    }

    static HttpClient client() {
        // the test is the client of a virtual host on one port; read once, when the HTTP client is first used
        System.setProperty('jdk.httpclient.allowRestrictedHeaders', 'host')
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build()
    }

    static HttpResponse<String> request(String path) {
        http.send(HttpRequest.newBuilder(URI.create("http://${Traffic.nextNode()}:${PORT}${path}")).header('Host', DOMAIN)
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
    }

    /** Real requests through Envoy, counted by the version that answered ('error-<status>' for anything but 200). */
    static Map<String, Integer> sample() {
        Traffic.sample(PORT, DOMAIN, REQUESTS, [:])
    }

    static String sha256(String text) {
        MessageDigest.getInstance('SHA-256').digest(text.getBytes('UTF-8')).encodeHex().toString()
    }

    List<String> echoes() {
        calls('echo')*.args*.getAt(0)*.toString()
    }

    @Test
    @Order(1)
    void theFirstBuildIsTheTracksFirstReleaseAndTakesAllTraffic() {
        build(1)
        assertThat(inputCalls).as('no canary, nothing to approve').isEmpty()
        assertThat(buildScripts).containsExactly('docker build -t "$IMAGE" . && docker push "$IMAGE"')
        assertThat(sample()).isEqualTo(['version=1.0.1': REQUESTS])
        assertThat(request("/secret/db_password").body()).contains(sha256(DB_PASSWORD))
        assertThat(echoes()).contains('files 1.0.1 in webdev: deployed; approved by []')
    }

    @Test
    @Order(2)
    void approvingEveryGateMovesTrafficStepByStepAndPromotes() {
        Map<Integer, Map<String, Integer>> atGates = [:]
        inputAnswer = { Map m ->
            assertThat(blocks).as('the gate holds no executor').doesNotContain('node(swarm)')
            atGates[m.id.toString().tokenize('-').last() as int] = sample()
            return 'alice'
        }
        build(2)

        assertThat(inputCalls*.args*.id*.toString()).containsExactly(["5", "25", "50", "100"].collect { "${TRACK}-${it}".toString() } as String[])
        assertThat(inputCalls).allMatch(matching { it.args.submitter == 'release-managers' && it.args.submitterParameter == 'approver' })
        // the canary's real share at each gate: 200 requests, expected 10, 50, 100, 200
        println "requests per version at each gate (canary weight: counts): ${atGates}"
        atGates.each { weight, counts -> assertThat(counts.keySet()).as("at ${weight}%: ${counts}").isSubsetOf('version=1.0.1', 'version=1.0.2') }
        assertThat(atGates[5]['version=1.0.2'] ?: 0).as("at 5%: ${atGates[5]}").isBetween(1, 35)
        assertThat(atGates[25]['version=1.0.2'] ?: 0).as("at 25%: ${atGates[25]}").isBetween(20, 85)
        assertThat(atGates[50]['version=1.0.2'] ?: 0).as("at 50%: ${atGates[50]}").isBetween(65, 135)
        assertThat(atGates[100]).isEqualTo(['version=1.0.2': REQUESTS])

        assertThat(sample()).as('promoted: all traffic on the new version').isEqualTo(['version=1.0.2': REQUESTS])
        assertThat(echoes()).contains('files 1.0.2 in webdev: promoted; approved by [alice, alice, alice, alice]')
        def status = runStep('swarmCanaryStatus', [app: APP, env: 'webdev', edge: EDGE])
        assertThat(status.tracks[0].phase).isEqualTo('promoted')
        assertThat(status.tracks[0].stable).isEqualTo("${TRACK}-1_0_2".toString())
    }

    @Test
    @Order(3)
    void rejectingAtThe25PercentGateRollsBackToTheStableRelease() {
        Map<String, Integer> at25 = null
        inputAnswer = { Map m ->
            if (m.id.toString() == "${TRACK}-25".toString()) {
                at25 = sample()
                throw new FlowInterruptedException(new Rejection('bob'))   // what Jenkins throws when bob presses Abort
            }
            return 'alice'
        }
        // a rejection ends the build ABORTED: the step rethrows Jenkins' interruption after the rollback and says what happened
        assertThatThrownBy { build(3) }.isInstanceOf(FlowInterruptedException)
        assertThat(echoes()).anyMatch(matching {
            it.contains("1.0.3 of ${TRACK} was rejected by bob at the 25% gate '${TRACK}-25'".toString()) &&
                    it.contains("rolled back: ${TRACK}-1_0_2 takes all traffic again and ${TRACK}-1_0_3 was removed".toString())
        })
        assertThat(inputCalls*.args*.id*.toString()).containsExactly("${TRACK}-5".toString(), "${TRACK}-25".toString())
        println "requests per version at the 25% gate before the rejection: ${at25}"
        assertThat(at25['version=1.0.3'] ?: 0).as("at 25%: ${at25}").isBetween(20, 85)

        assertThat(sample()).as('rolled back: all traffic on the stable release').isEqualTo(['version=1.0.2': REQUESTS])
        assertThat(swarm.service("${TRACK}-1_0_3")).as('the canary service is gone').isEmpty()
        def status = runStep('swarmCanaryStatus', [app: APP, env: 'webdev', edge: EDGE])
        assertThat(status.tracks[0].stable).isEqualTo("${TRACK}-1_0_2".toString())
        assertThat(status.tracks[0].canary).isNull()
        assertThat(status.tracks[0].releases*.version).doesNotContain('1.0.3')
    }

    @Test
    @Order(4)
    void aCanaryFailingItsAnalysisIsRolledBackWithoutAskingAnyone() {
        inputAnswer = { Map m -> throw new AssertionError("no gate may be asked after a failed analysis: ${m.id}") }
        // the application's 1.0.4 answers 30% of its requests with HTTP 500; analysis after every shift
        Map<String, String> badCanaryWithAnalysis = [
            'envVars: [APP_VERSION: version],':
                "envVars: [APP_VERSION: version, ERROR_RATE: '30'], analysis: [window: '15s', minRequests: 20, maxErrorRate: 1],",
        ]
        List<String> outcomes = Collections.synchronizedList([])
        boolean running = true
        Thread load = Thread.start {
            while (running) {
                try {
                    def r = Traffic.get(PORT, DOMAIN, [:])
                    outcomes << "${r.statusCode()} ${r.headers().firstValue('x-app-version').orElse('-')}".toString()
                } catch (Exception e) {
                    outcomes << "error-${e.class.simpleName}".toString()
                }
                sleep 10
            }
        }
        try {
            assertThatThrownBy { build(4, badCanaryWithAnalysis) }.isInstanceOf(StepFailure)
                    .hasMessageContaining("1.0.4 of ${TRACK} failed analysis at 5%")
                    .hasMessageContaining('error rate')
        } finally {
            running = false
            load.join(10_000)
        }
        assertThat(inputCalls).as('rolled back by the analysis, before any gate').isEmpty()
        Map<String, Integer> counts = new ArrayList<>(outcomes).countBy { it }
        println "answers during the build: ${counts}"
        // every answer came from a release: the stable never failed, Envoy answered nothing itself, and the canary's own
        // 500s are what failed it (this edge's delivery is redeploy: connections cut while Envoy restarts are not answers)
        assertThat(counts.keySet().findAll { !it.startsWith('error-') }).isSubsetOf('200 1.0.2', '200 1.0.4', '500 1.0.4')
        assertThat(counts['500 1.0.4'] ?: 0).isPositive()
        assertThat(sample()).as('rolled back: all traffic on the stable release').isEqualTo(['version=1.0.2': REQUESTS])
        assertThat(swarm.service("${TRACK}-1_0_4")).as('the canary service is gone').isEmpty()
        assertThat(archived*.artifacts*.toString()).as('the run report is archived even though the build failed')
                .contains('swarm-canary-report.html,swarm-canary-events.jsonl')
        assertThat(new File(workspace, 'swarm-canary-report.html').text).contains('1.0.4')
    }

    @Test
    @Order(5)
    void blueGreenIsJudgedOnMirroredTrafficThenSwitchesAfterOneApprovalAndRollsBackInOneStep() {
        Map<String, Integer> atGate = null
        inputAnswer = { Map m ->
            atGate = sample()
            return 'alice'
        }
        Map<String, String> blueGreen = [
            'weights: [5, 25, 50, 100],': "strategy: 'bluegreen', mirrorPercent: 100, analysis: [window: '8s', minRequests: 20, maxErrorRate: 1],",
        ]
        boolean running = true
        Thread load = Thread.start { // real requests for the mirror to copy
            while (running) {
                try {
                    Traffic.get(PORT, DOMAIN, [:])
                } catch (Exception ignored) {
                    // a redeploy edge restarts Envoy on each change: BlueGreenIT counts failures on an xds edge
                }
                sleep 20
            }
        }
        try {
            build(5, blueGreen)
        } finally {
            running = false
            load.join(10_000)
        }
        assertThat(inputCalls*.args*.id*.toString()).containsExactly("${TRACK}-0".toString())
        println "requests per version at the blue/green gate: ${atGate}"
        assertThat(atGate).as('before the switch users reach only the old release').isEqualTo(['version=1.0.2': REQUESTS])
        assertThat(echoes()).contains('files 1.0.5 in webdev: promoted; approved by [alice]')
        assertThat(echoes()).anyMatch(matching { it.contains('analysis at 0% passed') })
        assertThat(sample()).as('switched: all traffic on the new release').isEqualTo(['version=1.0.5': REQUESTS])
        def status = runStep('swarmCanaryStatus', [app: APP, env: 'webdev', edge: EDGE])
        assertThat(status.tracks[0].rollbackTarget).isEqualTo("${TRACK}-1_0_2".toString())

        runStep('swarmCanaryRollback', [app: APP, env: 'webdev', edge: EDGE])
        assertThat(sample()).as('rolled back in one step').isEqualTo(['version=1.0.2': REQUESTS])
    }

    static void run(List<String> command) {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start()
        String out = p.inputStream.text
        assert p.waitFor() == 0 : "${command.join(' ')} failed:\n${out}"
    }
}

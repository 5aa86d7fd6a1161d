package io.swarmcanary.vars

import groovy.json.JsonSlurperClassic
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat

/**
 * The step tests' scripted CLI answers against the real CLI's JSON vocabulary: every key a fake answer uses, and every
 * key the steps read from an answer, must be a key the CLI writes (a put("key" / Map.of("key", ...) in its commands,
 * or a component of a record it serializes). A key renamed in the CLI breaks this test, not a user's pipeline.
 * The step tests now answer with the real CLI's recorded output (cli-json/, made and checked by
 * io.swarmcanary.cli.CliAnswersTest and NextCommandTest); theRecordedAnswersHoldWhatTheStepsRead checks, per recorded
 * answer, the fields vars/ reads of it. The source scan below stays as a second, coarser net.
 */
class CliContractTest {
    static final File MAIN = new File(PipelineTestSupport.REPO, 'src/main/java/io/swarmcanary')

    /** Keys the CLI writes into its JSON answers. */
    static Set<String> cliKeys() {
        Set<String> keys = [] as Set
        new File(MAIN, 'cli').listFiles().findAll { it.name.endsWith('.java') }.each { File f ->
            String code = f.text
            (code =~ /put\("([a-zA-Z]+)"/).each { keys << it[1] }
            (code =~ /"([a-zA-Z]+)"\s*,/).each { keys << it[1] }   // Map.of("key", value, ...)
        }
        MAIN.eachFileRecurse { File f ->
            if (f.name.endsWith('.java')) {
                (f.text =~ /record\s+\w+\s*\(([^)]*)\)/).each { m ->
                    m[1].split(',').each { part -> def id = (part.trim() =~ /(\w+)$/); if (id.find()) { keys << id.group(1) } }
                }
            }
        }
        return keys
    }

    /** Every key of a JSON answer, nested ones too; keys that are data (versions, service names) are not vocabulary. */
    static Set<String> keysOf(def json) {
        Set<String> keys = [] as Set
        if (json instanceof Map) {
            json.each { k, v ->
                if (k ==~ /[a-z][A-Za-z]*/) {
                    keys << k
                }
                keys.addAll(keysOf(v))
            }
        } else if (json instanceof List) {
            json.each { keys.addAll(keysOf(it)) }
        }
        return keys
    }

    @Test
    void theDeployTestsFakeAnswersSpeakTheClisJson() {
        SwarmCanaryDeployStepTest fake = new SwarmCanaryDeployStepTest()
        Set<String> used = [] as Set
        [['deploy'], ['shift', '--weight', '25'], ['promote'], ['rollback'], ['analyze'], ['report']].each { args ->
            used.addAll(keysOf(new JsonSlurperClassic().parseText(fake.answer(args))))
        }
        fake.verdicts[0] = 'fail'
        used.addAll(keysOf(new JsonSlurperClassic().parseText(fake.answer(['analyze']))))
        assertThat(used).isNotEmpty()
        assertThat(used - cliKeys()).as('keys of the fake answers that the CLI never writes').isEmpty()
    }

    @Test
    void theKeysTheStepsReadAreKeysTheCliWrites() {
        // deploy.service/.weights/.routing, promote .weights/.previous, rollback .stable/.removed, status .tracks[].track/.canary/
        // .releases[].service/.version, analyze .verdict/.reason/.rollback, errors .error.message, prune .result.failed[].kind/.name/.error
        List<String> read = ['service', 'weights', 'routing', 'previous', 'stable', 'removed', 'tracks', 'track', 'canary', 'releases',
                             'version', 'verdict', 'reason', 'rollback', 'error', 'message', 'result', 'failed', 'kind', 'name',
                             'actions', 'action', 'weight', 'canaryIsThisVersion']
        assertThat(read - cliKeys()).as('keys vars/ reads that the CLI never writes').isEmpty()
    }

    /** What vars/ reads of each recorded answer (by file name prefix): paths into the JSON, [] for every element of a list. */
    static final Map<String, List<String>> READ_BY_THE_STEPS = [
        'deploy-': ['service', 'weights', 'routing'],                       // swarmCanaryDeploy
        'promote': ['weights', 'previous'],
        'rollback': ['stable', 'removed'],
        'analyze-': ['verdict', 'reason'],
        'analyze-fail': ['rollback.weights', 'rollback.removed'],
        'prune-partly': ['result.failed[].kind', 'result.failed[].name', 'result.failed[].error', 'result.nodes'],   // swarmPrune
        'prune-dry': ['plan.remove[].kind', 'plan.remove[].name', 'plan.remove[].reason'],   // examples/Jenkinsfile.prune
        'prune.': ['result.removed', 'result.skipped', 'result.failed', 'result.reclaimedBytes'],
        'error-': ['error.message', 'error.kind'],                          // swarmCanaryExecute's message on a failure
    ]

    /** Every value at a path such as 'result.failed[].name' (none if a step of it is missing). */
    static List valuesAt(def json, String path) {
        List values = [json]
        path.split(/\./).each { String step ->
            boolean each = step.endsWith('[]')
            String key = each ? step[0..-3] : step
            values = values.findAll { it instanceof Map && it.containsKey(key) }.collect { it[key] }
            if (each) {
                values = values.collectMany { it instanceof List ? it : [] }
            }
        }
        return values
    }

    /** The recorded answers (cli-json/, written and checked by the Java side's CliJsonFixtures) hold what the steps read. */
    @Test
    void theRecordedAnswersHoldWhatTheStepsRead() {
        File dir = new File(PipelineTestSupport.REPO, 'src/test/resources/cli-json')
        List<File> recorded = dir.listFiles().findAll { it.name.endsWith('.json') }
        assertThat(recorded).isNotEmpty()
        recorded.each { File f ->
            def json = new JsonSlurperClassic().parse(f)
            assertThat(keysOf(json) - cliKeys()).as("${f.name}: keys the CLI never writes").isEmpty()
            READ_BY_THE_STEPS.findAll { f.name.startsWith(it.key) }.each { prefix, paths ->
                paths.each { String path -> assertThat(valuesAt(json, path)).as("${f.name}: ${path}").isNotEmpty() }
            }
            if (f.name.startsWith('next-')) {
                assertThat(json.keySet()).as(f.name).contains('actions', 'canaryIsThisVersion', 'service')
                json.actions.each { assertThat(it.keySet()).as(f.name).contains('action', 'weight', 'reason') }
            }
        }
    }

    @Test
    void theCheckCanFail() {
        assertThat(cliKeys()).doesNotContain('notAKeyOfTheCli').contains('verdict', 'previous', 'removed')
        assertThat(valuesAt([result: [failed: [[name: 'a'], [kind: 'release']]]], 'result.failed[].name')).containsExactly('a')
        assertThat(valuesAt([result: [:]], 'result.failed[].name')).isEmpty()
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/**
 * examples/Jenkinsfile.declarative run whole, as Jenkins runs a declarative pipeline: stages in order, each stage's
 * agent as a node around its steps, and post conditions by the build's result. JenkinsPipelineUnit 1.1 has no
 * declarative support (DeclarativePipelineTest came later), so the few directives the example uses are played here;
 * a directive the example starts to use and this test does not know fails the test (MissingMethodException).
 */
class DeclarativeExampleTest extends PipelineTestSupport {
    static final File EXAMPLE = new File(REPO, 'examples/Jenkinsfile.declarative')

    List<String> stagesRun = []
    List<String> postRun = []
    /** The stage whose sh fails (e.g. the smoke test). */
    String failingStage
    protected String stage
    protected Map current

    @BeforeEach
    void declarative() {
        env.BUILD_NUMBER = '42'
        cliOnPath = true
        agentPool = true // outside any node (agent none, post) no step may need a workspace, as in Jenkins
        binding.setVariable('none', 'none')
        helper.registerAllowedMethod('library', [String], { String name -> null })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map m -> null })
        helper.registerAllowedMethod('usernamePassword', [Map], { Map m -> [kind: 'usernamePassword'] + m })
        helper.registerAllowedMethod('pipeline', [Closure], { Closure body -> runPipeline(body) })
        helper.registerAllowedMethod('agent', [Object], { Object a -> current.agent = a })
        helper.registerAllowedMethod('agent', [Closure], { Closure body -> current.agentBody = body })
        helper.registerAllowedMethod('label', [String], { String l -> current.label = l })
        helper.registerAllowedMethod('stages', [Closure], { Closure body -> current.stages = body })
        helper.registerAllowedMethod('post', [Closure], { Closure body -> current.post = body })
        helper.registerAllowedMethod('stage', [String, Closure], { String name, Closure body -> runStage(name, body) })
        helper.registerAllowedMethod('steps', [Closure], { Closure body -> current.steps = body })
        helper.registerAllowedMethod('script', [Closure], { Closure body -> runBody(body) })
        ['always', 'success', 'failure', 'aborted', 'unstable', 'changed', 'fixed', 'regression', 'cleanup'].each { String condition ->
            helper.registerAllowedMethod(condition, [Closure], { Closure body -> current.conditions[condition] = body })
        }
    }

    /** Declarative's order: stages, then post's conditions for the result (always first, cleanup last). */
    protected def runPipeline(Closure body) {
        Map saved = current
        current = [conditions: [:]]
        Map pipeline = current
        runBody(body)
        String result = 'SUCCESS'
        Throwable failure = null
        try {
            runBody(pipeline.stages)
        } catch (Throwable t) {
            failure = t
            result = t.class.simpleName == 'FlowInterruptedException' ? 'ABORTED' : 'FAILURE'
        }
        current = [conditions: [:]]
        if (pipeline.post) {
            runBody(pipeline.post)
        }
        ['always', result.toLowerCase(), 'cleanup'].each { String condition ->
            if (current.conditions[condition]) {
                postRun << condition
                runBody(current.conditions[condition])
            }
        }
        current = saved
        if (failure) {
            throw failure
        }
    }

    protected def runStage(String name, Closure body) {
        Map saved = current
        current = [conditions: [:]]
        Map s = current
        runBody(body)
        if (s.agent instanceof Closure) { // agent { label 'x' } may reach agent(Object)
            s.agentBody = s.agent
        }
        if (s.agentBody) {
            current = s
            runBody(s.agentBody)
        }
        current = saved
        stage = name
        stagesRun << name
        s.label ? onNode(s.label) { runBody(s.steps) } : runBody(s.steps)
    }

    @Override
    protected int fakeSh(String script) {
        if (script.startsWith('docker build') || script.startsWith('curl -fsS')) {
            return stage == failingStage ? 1 : 0
        }
        return super.fakeSh(script)
    }

    def runExample() {
        runScript(EXAMPLE.path)
    }

    List<String> verbs() {
        cliRuns.collect { argsOfFile(it)[0] }
    }

    @Test
    void theWholeCanaryRunsStageByStage() {
        runExample()
        assertThat(stagesRun).containsExactly('build', 'canary webdev', 'smoke test')
        assertThat(verbs()).containsExactly('deploy', 'next', 'shift', 'analyze', 'shift', 'analyze', 'shift', 'analyze',
                'shift', 'analyze', 'promote', 'report')
        assertThat(inputCalls*.args*.id).containsExactly('files-webdev-5', 'files-webdev-25', 'files-webdev-50', 'files-webdev-100')
        assertThat(inputCalls).allMatch(matching { !it.blocks.any { it.startsWith('node') } })
        assertThat(postRun).isEmpty()
        assertThat(log()).anyMatch(matching { it.contains('files 1.0.42 in webdev: promoted') })
    }

    @Test
    void aFailedSmokeTestRollsThePromotedReleaseBackInPost() {
        failingStage = 'smoke test'
        assertThatThrownBy { runExample() }.isInstanceOf(StepFailure)
        assertThat(postRun).containsExactly('failure')
        assertThat(verbs().takeRight(2)).containsExactly('report', 'rollback')
        assertThat(log()).anyMatch(matching { it.contains('rolled back after a failed smoke test: files-webdev-1_0_9 takes all traffic') })
    }

    @Test
    void aRejectionBeforeThePromoteIsRolledBackByTheStepNotAgainInPost() {
        inputAnswer = { Map m -> throw new FlowInterruptedException(new Rejection('mallory')) }
        assertThatThrownBy { runExample() }.isInstanceOf(FlowInterruptedException)
        assertThat(verbs().count('rollback')).isEqualTo(1)
        assertThat(stagesRun).doesNotContain('smoke test')
        assertThat(postRun).isEmpty()   // ABORTED: the example has no aborted condition
    }
}

package io.swarmcanary.vars

import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy
import static org.junit.jupiter.api.Assumptions.assumeTrue

/** The CPS run of the step tests sees what a controller sees: a local that cannot be saved, held across a step, fails. */
class CpsModeTest extends PipelineTestSupport {

    def runPipeline(String name, String text) {
        new File(PIPELINES, name + '.groovy').text = text
        return runScript(name + '.groovy')
    }

    @Test
    void aNonSerializableLocalHeldAcrossAStepFails() {
        assumeTrue(CPS, 'the CPS run only')
        assertThatThrownBy {
            runPipeline('holdsAThread', '''
                def lock = new Object()   // java.lang.Object is not Serializable
                sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                return lock.toString()
            ''')
        }.hasMessageContaining("program state not serializable when calling step 'sh'").hasMessageContaining('java.lang.Object')
        // the support class would fail this test afterwards too; it is expected here
        ((SerializingCpsHelper) helper).serializationFailures.clear()
    }

    @Test
    void aNonSerializableValueInsideNonCpsCodeIsFine() {
        assumeTrue(CPS, 'the CPS run only')
        files['/ws/x'] = 'y'
        assertThat(runPipeline('nonCps', '''
                @NonCPS
                String lazy(String text) { new groovy.json.JsonSlurper().parseText(text).toString() }
                String answer = lazy('{"a": 1}')
                sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                return answer
            ''')).isEqualTo('{a=1}')
        assertThat(((SerializingCpsHelper) helper).roundTrips).isGreaterThan(0)
    }

    @Test
    void aForInLoopAroundAStepIsFineAsOnAController() {
        assumeTrue(CPS, 'the CPS run only')
        runPipeline('forIn', '''
                for (String s in ['a', 'b']) {
                    sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                }
            ''')
        assertThat(shCalls).hasSize(2)
    }

    @Test
    void aForInLoopOverAMapIsFineButOverATreeMapItFails() {
        assumeTrue(CPS, 'the CPS run only')
        runPipeline('forInMap', '''
                for (String k in [a: 1, b: 2].keySet()) {   // a LinkedHashMap's keys: Jenkins persists that iterator
                    sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                }
                for (String k in (['x', 'y'] as Set)) {  // a LinkedHashSet: a LinkedHashMap's keys
                    sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                }
            ''')
        assertThat(shCalls).hasSize(4)
        assertThatThrownBy {
            runPipeline('forInTreeMap', '''
                for (String k in new TreeMap([b: 1, a: 2]).keySet()) {
                    sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                }
            ''')
        }.hasMessageContaining("program state not serializable when calling step 'sh'").hasMessageContaining('TreeMap')
        // as on a controller: the iterator of a map's entries is persisted, the entry held in the loop variable is not
        assertThatThrownBy {
            runPipeline('forInEntries', '''
                for (def e in [a: 1]) {
                    sh(script: 'command -v swarm-canary >/dev/null 2>&1', returnStatus: true)
                }
            ''')
        }.hasMessageContaining('java.util.LinkedHashMap$Entry')
        ((SerializingCpsHelper) helper).serializationFailures.clear()
    }
}

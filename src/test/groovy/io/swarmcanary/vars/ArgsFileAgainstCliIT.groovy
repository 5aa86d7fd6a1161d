package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

import static org.assertj.core.api.Assertions.assertThat

/**
 * The runner's argument file read by the real CLI (target/swarm-canary.jar, from `mvn package`; skipped without it),
 * under a POSIX locale: picocli must give back every value exactly as the step passed it.
 */
class ArgsFileAgainstCliIT extends PipelineTestSupport {
    static final File JAR = new File(REPO, 'target/swarm-canary.jar')

    @TempDir
    File tmp

    @BeforeEach
    void needsTheJar() {
        assert JAR.isFile() : 'target/swarm-canary.jar is missing: run mvn verify (it packages before integration tests)'
    }

    @Test
    void everyValueArrivesUnchanged() {
        def runner = libraryVar('swarmCanaryExecute')
        ['a "b" c', 'back\\slash\\', '\\"', '$HOME `id` $(id) \'q\' ; | &', 'two\nlines', 'cr\rx', 'tab\there',
         '@/etc/passwd', '@', '#not a comment', '', ' lead and trail ', '\\101 not octal', 'ü€ 日本'].each { value ->
            File args = new File(tmp, 'args')
            args.setText(runner.argsFileText(['deploy', '--app', 'files', '--env', 'webdev', '--version', '1', '--image', 'img',
                                              '--replicas', value, '--output', 'json']), 'UTF-8')
            ProcessBuilder pb = new ProcessBuilder('java', '-jar', JAR.path, "@${args.path}").redirectOutput(ProcessBuilder.Redirect.DISCARD)
            pb.environment().keySet().removeAll(['LANG', 'LC_ALL', 'LC_CTYPE'])
            pb.environment().put('JAVA_TOOL_OPTIONS', '-Dfile.encoding=UTF-8')   // as the runner sets it
            Process p = pb.start()
            String err = p.errorStream.getText('UTF-8')
            assertThat(p.waitFor()).as(err).isEqualTo(2)
            assertThat(err).contains("Invalid value for option '--replicas': '${value}' is not an int".toString())
        }
    }
}

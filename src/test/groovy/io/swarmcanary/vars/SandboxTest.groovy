package io.swarmcanary.vars

import org.codehaus.groovy.ast.ClassCodeVisitorSupport
import org.codehaus.groovy.ast.ClassNode
import org.codehaus.groovy.ast.FieldNode
import org.codehaus.groovy.ast.MethodNode
import org.codehaus.groovy.ast.expr.BinaryExpression
import org.codehaus.groovy.ast.expr.ClassExpression
import org.codehaus.groovy.ast.expr.ConstructorCallExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.PropertyExpression
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression
import org.codehaus.groovy.ast.expr.VariableExpression
import org.codehaus.groovy.ast.stmt.BlockStatement
import org.codehaus.groovy.ast.stmt.CatchStatement
import org.codehaus.groovy.ast.stmt.ExpressionStatement
import org.codehaus.groovy.ast.stmt.TryCatchStatement
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.SourceUnit
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat

/**
 * The steps under the Groovy sandbox (a folder-level library is sandboxed): every call the code in vars/ makes is
 * checked against the list below, which says for each why script-security's default whitelist (generic-whitelist,
 * jenkins-whitelist, the steps themselves) lets it through. A call not on the list fails this test: check it against
 * script-security's generic-whitelist before adding it, with the reason.
 *
 * The calls are read from the compiled AST of vars/*.groovy (Groovy 2.4, semantic analysis): calls on the script itself
 * (steps, global variables and the library's own methods and fields) are always allowed; static calls, constructors and calls on
 * `env` are named exactly; other calls and property reads by their name, since the receiver's type is only known at run
 * time (the reasons say which receivers the steps use them on).
 */
class SandboxTest {
    static final File VARS = new File(PipelineTestSupport.REPO, 'vars')

    /** What the default whitelist allows, and why; "method x" covers the receivers the reason names. */
    static final Map<String, String> ALLOWED = [
        // static calls and constructors
        'staticMethod groovy.json.JsonOutput toJson'          : 'generic-whitelist: staticMethod groovy.json.JsonOutput toJson java.util.Map',
        'staticMethod java.util.UUID randomUUID'              : 'generic-whitelist: staticMethod java.util.UUID randomUUID',
        'staticMethod java.util.TimeZone getTimeZone'         : 'generic-whitelist: staticMethod java.util.TimeZone getTimeZone java.lang.String',
        'staticMethod java.util.Collections unmodifiableList' : 'generic-whitelist: staticMethod java.util.Collections unmodifiableList java.util.List',
        'staticMethod java.util.Collections unmodifiableMap'  : 'generic-whitelist: staticMethod java.util.Collections unmodifiableMap java.util.Map',
        'staticMethod java.lang.Math floor'                   : 'generic-whitelist: staticMethod java.lang.Math floor double',
        'new java.lang.Exception'                             : 'generic-whitelist: new java.lang.Exception java.lang.String (bad input, @NonCPS validators)',
        'new java.util.Date'                                  : 'generic-whitelist: new java.util.Date',
        'new groovy.json.JsonSlurper'                         : 'generic-whitelist: new groovy.json.JsonSlurper (the shared configuration)',
        'method parseText'  : 'generic-whitelist: method groovy.json.JsonSlurper parseText java.lang.String',
        'method withDefaults': 'the library\'s own global variable swarmCanaryConfig: its methods are the library\'s, not checked',
        'method trackStep'   : 'the library\'s own global variable swarmCanaryExecute (promote and rollback share it): the library\'s method, not checked',
        // the environment: env.NAME and env."${name}" go through EnvActionImpl.getProperty, which is @Whitelisted
        'env.property'                                        : 'EnvActionImpl.getProperty(String) is @Whitelisted (env.NAME, env."${name}")',
        // Groovy methods on Strings, lists, sets and maps (parameters, the plan, the CLI's JSON)
        'method add'        : 'generic-whitelist: method java.util.Collection add java.lang.Object (a Set)',
        'method any'        : 'generic-whitelist: DefaultGroovyMethods any java.lang.Iterable groovy.lang.Closure',
        'method collect'    : 'generic-whitelist: DefaultGroovyMethods collect java.util.Collection / java.util.Map groovy.lang.Closure',
        'method collectMany': 'generic-whitelist: DefaultGroovyMethods collectMany java.lang.Iterable groovy.lang.Closure',
        'method contains'   : 'generic-whitelist: method java.lang.String contains java.lang.CharSequence',
        'method indexOf'    : 'generic-whitelist: method java.lang.String indexOf java.lang.String',
        'method substring'  : 'generic-whitelist: method java.lang.String substring int int',
        'method containsKey': 'generic-whitelist: method java.util.Map containsKey java.lang.Object',
        'method each'       : 'generic-whitelist: DefaultGroovyMethods each java.util.List / java.util.Map groovy.lang.Closure',
        'method endsWith'   : 'generic-whitelist: method java.lang.String endsWith java.lang.String',
        'method equals'     : 'generic-whitelist: method java.lang.Object equals java.lang.Object',
        'method every'      : 'generic-whitelist: DefaultGroovyMethods every java.lang.Iterable groovy.lang.Closure',
        'method find'       : 'generic-whitelist: DefaultGroovyMethods find java.util.Collection groovy.lang.Closure',
        'method findAll'    : 'generic-whitelist: DefaultGroovyMethods findAll java.util.Collection / java.util.Set groovy.lang.Closure',
        'method format'     : 'generic-whitelist: DateGroovyMethods format java.util.Date java.lang.String java.util.TimeZone',
        'method isEmpty'    : 'generic-whitelist: method java.util.Map isEmpty, method java.util.Collection isEmpty',
        'method join'       : 'generic-whitelist: DefaultGroovyMethods join java.lang.Iterable java.lang.String',
        'method keySet'     : 'generic-whitelist: method java.util.Map keySet',
        'method replace'    : 'generic-whitelist: method java.lang.String replace java.lang.CharSequence java.lang.CharSequence',
        'method replaceAll' : 'generic-whitelist: method java.lang.String replaceAll java.lang.String java.lang.String',
        'method size'       : 'generic-whitelist: method java.util.Collection size, method java.util.Map size',
        'method sort'       : 'generic-whitelist: DefaultGroovyMethods sort java.util.Collection (in @NonCPS code only: sorting is not CPS-safe)',
        'method split'      : 'generic-whitelist: method java.lang.String split java.lang.String',
        'method startsWith' : 'generic-whitelist: method java.lang.String startsWith java.lang.String',
        'method toLowerCase': 'generic-whitelist: method java.lang.String toLowerCase',
        'method toString'   : 'generic-whitelist: method java.lang.Object toString',
        'method trim'       : 'generic-whitelist: method java.lang.String trim',
        'method call'       : 'generic-whitelist: method groovy.lang.Closure call java.lang.Object (a step body)',
        'subscript'         : 'generic-whitelist: DefaultGroovyMethods getAt java.util.Map java.lang.Object / java.util.List int / java.lang.String groovy.lang.Range',
        // property reads that are not map keys
        'property class'           : 'generic-whitelist: method java.lang.Object getClass, then method java.lang.Class getSimpleName',
        'property simpleName'      : 'generic-whitelist: method java.lang.Class getSimpleName',
        'property message'         : 'generic-whitelist: method java.lang.Throwable getMessage',
        'property result'          : 'currentBuild.result = ...: RunWrapper.setResult is @Whitelisted; also answer.result, a Map key',
    ].asImmutable()

    /**
     * Reads that the default whitelist REJECTS, allowed only where a rejection cannot hurt: in the methods named,
     * which catch everything, and which run only after the rollback (checked below).
     */
    static final Map<String, String> REJECTABLE = [
        'property causes'          : 'FlowInterruptedException.getCauses is not whitelisted',
        'property user'            : 'Rejection.getUser / UserInterruption.getUser are not whitelisted',
        'property userId'          : 'UserInterruption.getUserId is not whitelisted',
        'property id'              : 'User.getId is not whitelisted',
        'property shortDescription': 'CauseOfInterruption.getShortDescription is not whitelisted',
        'property (dynamic)'       : 'cause."${name}" on a cause of interruption',
    ].asImmutable()
    static final Set<String> DESCRIBERS = ['whatHappened', 'describeFailure', 'userOf', 'describe'] as Set

    /** What the default whitelist is known to reject and the steps once did (issue 15). */
    static final Map<String, String> KNOWN_REJECTIONS = [
        'method asImmutable'                     : 'DefaultGroovyMethods asImmutable java.util.List is not whitelisted',
        'staticMethod java.time.Instant now'     : 'java.time.Instant now is not whitelisted',
        'env[...]'                               : 'EnvActionImpl has no whitelisted getAt',
        'new java.lang.IllegalArgumentException' : 'only new java.lang.Exception java.lang.String is whitelisted',
    ].asImmutable()

    /**
     * Map keys read as properties (config.app, plan.track, answer.verdict ...): the sandbox lets a script read a Map's
     * entries as properties. These are the keys the steps use.
     */
    static final Set<String> MAP_KEYS = ('file registry registryCredentialsId required action actions canaryIsThisVersion next analyses analysis analysisArgs app approval approvalEvents approvalTimeout approvalTimeoutText ' +
            'approvals args canary compose edgeForcesCanary header verify composeStash credentialsId deploy deployArgs dockerCredentialsId dockerHost domains dryRun edge ' +
            'env envVars error events exe exitCode failed image imageLabel images insideNode jar keep key kind lockResource maxErrorRate maxP99 ' +
            'minRequests name nodeLabel okExitCodes olderThan outcome port previous prometheusUrl pruneImage reason releases ' +
            'removed replicas report rollback routing skipIfLocked milestone agentTimeout secrets service source stable submitter target time track tracks type unit ' +
            'variable verb verdict version weights weight window canaryTraffic clearMatch match mirrorPercent strategy sticky stickyCookie stickyTtl').split(' ') as Set

    /** Every call and read in vars/, by signature, with where it is (file.method). */
    static Map<String, Set<String>> callsInVars() {
        Map<String, Set<String>> found = new TreeMap<>()
        VARS.listFiles().findAll { it.name.endsWith('.groovy') }.sort().each { File file ->
            CompilationUnit unit = new CompilationUnit(new CompilerConfiguration(), null, new GroovyClassLoader(SandboxTest.classLoader))
            unit.addSource(file)
            unit.compile(Phases.SEMANTIC_ANALYSIS)
            unit.AST.modules.each { module ->
                module.classes.each { ClassNode script ->
                    new CallCollector(script: script, file: file.name - '.groovy', found: found).visitClass(script)
                }
            }
        }
        return found
    }

    @Test
    void everyCallInVarsIsOnTheDefaultWhitelist() {
        Map<String, Set<String>> found = callsInVars()
        Map<String, Set<String>> unexplained = found.findAll { sig, where ->
            !(sig.startsWith('call ') || sig.startsWith('own ') || ALLOWED.containsKey(sig) || REJECTABLE.containsKey(sig)
                    || (sig.startsWith('property ') && sig.substring(9) in MAP_KEYS))
        }
        assertThat(unexplained.collect { sig, where -> "${sig} (in ${where.join(', ')})".toString() })
                .as('calls in vars/ that script-security\'s default whitelist may reject: check them against ' +
                        'generic-whitelist and add them to SandboxTest.ALLOWED with the reason, or change the step').isEmpty()
    }

    @Test
    void theKnownRejectionsAreGone() {
        Map<String, Set<String>> found = callsInVars()
        assertThat(found.keySet().intersect(KNOWN_REJECTIONS.keySet())).as('rejected under the sandbox: %s', KNOWN_REJECTIONS).isEmpty()
    }

    @Test
    void readsTheSandboxRejectsOnlyHappenInTheDescribersAfterTheRollback() {
        Map<String, Set<String>> found = callsInVars()
        found.findAll { sig, where -> REJECTABLE.containsKey(sig) }.each { sig, where ->
            assertThat(where.collect { it.substring(it.indexOf('.') + 1) }).as(sig).allMatch(PipelineTestSupport.matching { it in DESCRIBERS })
        }
        // in lifecycle's catch block, the rollback is the first thing that runs
        CatchStatement catchAll = catchBlocks('swarmCanaryDeploy', 'lifecycle').find { it.exceptionType.name == 'java.lang.Throwable' }
        List<String> calls = []
        catchAll.code.visit(new ClassCodeVisitorSupport() {
            protected SourceUnit getSourceUnit() { null }

            void visitMethodCallExpression(MethodCallExpression call) {
                if (call.implicitThis) {
                    calls << call.methodAsString
                }
                super.visitMethodCallExpression(call)
            }
        })
        assertThat(calls).as('the calls in lifecycle\'s catch (Throwable), in order').contains('rollBack')
        assertThat(calls.takeWhile { it != 'rollBack' }).as('nothing runs before the rollback').isEmpty()
    }

    static List<CatchStatement> catchBlocks(String var, String method) {
        CompilationUnit unit = new CompilationUnit(new CompilerConfiguration(), null, new GroovyClassLoader(SandboxTest.classLoader))
        unit.addSource(new File(VARS, var + '.groovy'))
        unit.compile(Phases.SEMANTIC_ANALYSIS)
        MethodNode node = unit.AST.modules[0].classes[0].getMethods(method)[0]
        List<CatchStatement> catches = []
        node.code.visit(new ClassCodeVisitorSupport() {
            protected SourceUnit getSourceUnit() { null }

            void visitTryCatchFinally(TryCatchStatement statement) {
                catches.addAll(statement.catchStatements)
                super.visitTryCatchFinally(statement)
            }
        })
        return catches
    }
}

/** Collects the signatures of the calls and reads in one vars/ script (see SandboxTest). */
class CallCollector extends ClassCodeVisitorSupport {
    ClassNode script
    String file
    Map<String, Set<String>> found
    String where = ''

    protected SourceUnit getSourceUnit() { null }

    void record(String signature, Expression at) {
        if (at.lineNumber > 0) {   // not code the compiler made
            found.computeIfAbsent(signature) { new TreeSet<String>() } << "${file}.${where}".toString()
        }
    }

    void visitMethod(MethodNode node) { where = node.name; super.visitMethod(node) }

    void visitField(FieldNode node) { where = node.name; super.visitField(node) }

    static boolean isEnv(Expression e) { e instanceof VariableExpression && e.name == 'env' }

    void visitMethodCallExpression(MethodCallExpression call) {
        Expression receiver = call.objectExpression
        if (call.implicitThis || (receiver instanceof VariableExpression && receiver.name == 'this')) {
            record("call ${call.methodAsString}", call)
        } else if (receiver instanceof ClassExpression) {
            record("staticMethod ${receiver.type.name} ${call.methodAsString}", call)
        } else if (isEnv(receiver)) {
            record("env.${call.methodAsString}()", call)
        } else {
            record("method ${call.methodAsString}", call)
        }
        super.visitMethodCallExpression(call)
    }

    void visitStaticMethodCallExpression(StaticMethodCallExpression call) {
        record(call.ownerType == script ? "call ${call.method}" : "staticMethod ${call.ownerType.name} ${call.method}", call)
        super.visitStaticMethodCallExpression(call)
    }

    void visitConstructorCallExpression(ConstructorCallExpression call) {
        record("new ${call.type.name}", call)
        super.visitConstructorCallExpression(call)
    }

    void visitPropertyExpression(PropertyExpression read) {
        Expression receiver = read.objectExpression
        if (receiver instanceof ClassExpression && receiver.type == script) {
            record("own ${read.propertyAsString}", read)   // the script's own @Field
        } else if (receiver instanceof ClassExpression) {
            record("staticField ${receiver.type.name} ${read.propertyAsString}", read)
        } else if (isEnv(receiver)) {
            record('env.property', read)
        } else {
            record(read.propertyAsString == null ? 'property (dynamic)' : "property ${read.propertyAsString}", read)
        }
        super.visitPropertyExpression(read)
    }

    void visitBinaryExpression(BinaryExpression expression) {
        if (expression.operation.text == '[') {
            record(isEnv(expression.leftExpression) ? 'env[...]' : 'subscript', expression)
        }
        super.visitBinaryExpression(expression)
    }
}

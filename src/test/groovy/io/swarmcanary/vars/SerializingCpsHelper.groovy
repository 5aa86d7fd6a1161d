package io.swarmcanary.vars

import com.cloudbees.groovy.cps.Continuation
import com.cloudbees.groovy.cps.Envs
import com.cloudbees.groovy.cps.Next
import com.cloudbees.groovy.cps.ObjectInputStreamWithLoader
import com.cloudbees.groovy.cps.impl.CpsCallableInvocation
import com.lesfurets.jenkins.unit.MethodSignature
import com.lesfurets.jenkins.unit.cps.PipelineTestHelperCPS

/**
 * JenkinsPipelineUnit 1.1's CPS helper (the library and the test scripts CPS-transformed by groovy-cps), plus what a
 * controller does and JenkinsPipelineUnit does not: the whole program state is written and read back with Java
 * serialization whenever the program calls a step (sh, input, node, readJSON ...), the moments a controller saves it.
 *
 * The program state is every CPS interpreter loop running right now: the script's, each CPS method's called from it,
 * each step body's (a closure a mocked step runs). Each loop's current Next holds its block, its locals (Env) and
 * the rest of its program (Continuation). A local that is not serializable fails the round trip, which is recorded in
 * {@link #serializationFailures} (thrown too; the support class also fails the test afterwards, so a catch in vars/
 * cannot hide it).
 */
class SerializingCpsHelper extends PipelineTestHelperCPS {
    /** The interpreter loops running now, innermost last; each holds the Next it is evaluating. */
    private final List<Next[]> running = []
    /** One line per failed round trip: the step about to run and what could not be serialized. */
    final List<String> serializationFailures = []
    /** How many round trips were made (a test checks that they happen at all). */
    int roundTrips = 0

    @Override
    protected Object callMethod(MetaMethod method, Object delegate, Object... args) {
        try {
            return method.doMethodInvoke(delegate, args)
        } catch (CpsCallableInvocation invocation) {
            return runToEnd(invocation)
        }
    }

    @Override
    protected Object runScriptInternal(Script script) {
        try {
            return script.run()
        } catch (CpsCallableInvocation invocation) {
            return runToEnd(invocation)
        }
    }

    @Override
    Object callClosure(Closure closure, Object... args) {
        try {
            // as JenkinsPipelineUnit's own: no arguments, the arguments spread, or all of them as one array
            if (!args) {
                return closure.call()
            }
            return args.length > closure.maximumNumberOfParameters ? closure.call([args] as Object[]) : closure.call(*args)
        } catch (CpsCallableInvocation invocation) {
            return runToEnd(invocation)
        }
    }

    @Override
    Object callClosure(Closure closure) {
        return callClosure(closure, new Object[0])
    }

    /** Runs one CPS call to its end, step by step, keeping the Next it evaluates where a step call can see it. */
    private Object runToEnd(CpsCallableInvocation invocation) {
        Next[] current = [invocation.invoke(Envs.empty(), null, Continuation.HALT)] as Next[]
        running << current
        try {
            while (current[0].yield == null) {
                current[0] = current[0].step()
            }
            return current[0].yield.replay()
        } finally {
            running.remove(running.size() - 1)
        }
    }

    /** Before a registered step runs: the program state goes through ObjectOutputStream and back. */
    @Override
    protected Map.Entry<MethodSignature, Closure> getAllowedMethodEntry(String name, Object... args) {
        Map.Entry<MethodSignature, Closure> entry = super.getAllowedMethodEntry(name, args)
        if (entry != null && !running.isEmpty()) {
            roundTrip(name)
        }
        return entry
    }

    private void roundTrip(String step) {
        roundTrips++
        List<Next> state = running.collect { it[0] }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream()
            new ProgramOutputStream(bytes).withCloseable { it.writeObject(new ArrayList(state)) }
            new ObjectInputStreamWithLoader(new ByteArrayInputStream(bytes.toByteArray()), gse.groovyClassLoader).withCloseable { it.readObject() }
        } catch (Exception e) {
            String failure = "program state not serializable when calling step '${step}': ${e}"
            serializationFailures << failure
            throw new AssertionError(failure, e)
        }
    }
}

/**
 * Java serialization as a controller's program persistence sees it: the iterators of a for-in loop over an ArrayList or
 * a LinkedHashMap's keys, values or entries (Groovy's maps and sets) are made serializable there (workflow-cps'
 * IteratorHack, JENKINS-27421), so they are replaced by a stand-in here; any other iterator held across a step (a
 * TreeMap's, a HashMap's, readJSON's JSONArray's) and every other object must be Serializable itself.
 */
@groovy.transform.CompileStatic
class ProgramOutputStream extends ObjectOutputStream {
    static final Set<String> PERSISTED_ITERATORS = ['java.util.ArrayList$Itr', 'java.util.LinkedHashMap$LinkedKeyIterator',
            'java.util.LinkedHashMap$LinkedValueIterator', 'java.util.LinkedHashMap$LinkedEntryIterator'] as Set

    ProgramOutputStream(OutputStream out) {
        super(out)
        enableReplaceObject(true)
    }

    @Override
    protected Object replaceObject(Object object) {
        return object != null && object.getClass().name in PERSISTED_ITERATORS ? new PickledIterator() : object
    }
}

/** What stands in for an iterator Jenkins knows how to persist (the read-back copy is only checked, never run). */
class PickledIterator implements Iterator<Object>, Serializable {
    private static final long serialVersionUID = 1L

    boolean hasNext() { false }

    Object next() { throw new NoSuchElementException() }

    void remove() { throw new UnsupportedOperationException() }
}

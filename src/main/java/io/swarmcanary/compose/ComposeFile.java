package io.swarmcanary.compose;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Names;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A compose (stack) file, parsed with line numbers, variables substituted, every key checked. Reading a value
 * marks it as used, so whatever the caller did not use can be reported instead of silently dropped.
 */
public final class ComposeFile {
    private final Path path;
    private final Node root;
    private final Set<Node> used = Collections.newSetFromMap(new IdentityHashMap<>());

    private ComposeFile(Path path, Node root) {
        this.path = path;
        this.root = root;
    }

    /**
     * @param environment the process environment; it wins over the {@code .env} file next to the compose file,
     *                    as with the docker CLI
     */
    public static ComposeFile load(Path file, Map<String, String> environment) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UserInputException("compose file " + file + " does not exist or is not readable. Nothing was changed.");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserInputException("cannot read compose file " + file + ": " + e.getMessage() + ". Nothing was changed.");
        }
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Node root;
        try {
            root = new Yaml(options).compose(new java.io.StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new UserInputException(file + (line > 0 ? ":" + line : "") + ": does not parse as YAML: "
                    + e.getProblem() + ". Nothing was changed.");
        } catch (YAMLException e) {
            throw new UserInputException(file + ": does not parse as YAML: " + e.getMessage() + ". Nothing was changed.");
        }
        if (!(root instanceof MappingNode)) {
            throw new UserInputException(file + ": a compose file is a mapping with 'services:'; this one is "
                    + (root == null ? "empty" : "not a mapping") + ". Nothing was changed.");
        }
        Map<String, String> variables = new HashMap<>(DotEnv.read(file.toAbsolutePath().getParent().resolve(".env")));
        variables.putAll(environment);
        ComposeFile compose = new ComposeFile(file, root);
        Node resolved = compose.resolve(root, "", new Interpolation(variables), true);
        ComposeFile result = new ComposeFile(file, resolved);
        result.validate(resolved, Schema.FILE, "");
        return result;
    }

    public Path path() {
        return path;
    }

    /** The folder relative paths in the file are resolved against. */
    public Path directory() {
        return path.toAbsolutePath().getParent();
    }

    public Value root() {
        return new Value(root, "");
    }

    /** A service by name; a clear error listing the file's services when it has none of that name. */
    public Value service(String name) {
        Value services = root().get("services").orElseThrow(() -> new UserInputException(path
                + ": the file has no 'services:'. Nothing was changed."));
        return services.get(name).orElseThrow(() -> new UserInputException("service '" + name + "' is not in " + path
                + " (its services: " + String.join(", ", services.entries().keySet()) + "); fix --service. Nothing was changed."));
    }

    public List<String> serviceNames() {
        return root().get("services").map(s -> List.copyOf(s.entries().keySet())).orElse(List.of());
    }

    /** A value of the file, its path (services.files.deploy.replicas) and line. */
    public final class Value {
        private final Node node;
        private final String path;

        Value(Node node, String path) {
            this.node = node;
            this.path = path;
        }

        public String path() {
            return path;
        }

        public int line() {
            return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
        }

        /** {@code file:line: path:} for messages. */
        public String where() {
            return ComposeFile.this.path + ":" + line() + ": " + path;
        }

        public UserInputException error(String message) {
            return new UserInputException(where() + ": " + message + ". Nothing was changed.");
        }

        public boolean isMap() {
            return node instanceof MappingNode;
        }

        public boolean isList() {
            return node instanceof SequenceNode;
        }

        public boolean isNull() {
            return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
        }

        public Optional<Value> get(String key) {
            if (!(node instanceof MappingNode m)) {
                return Optional.empty();
            }
            for (NodeTuple t : m.getValue()) {
                if (key.equals(((ScalarNode) t.getKeyNode()).getValue())) {
                    Value v = new Value(t.getValueNode(), child(key));
                    return v.isNull() ? markedNull(v) : Optional.of(v);
                }
            }
            return Optional.empty();
        }

        private Optional<Value> markedNull(Value v) {
            used.add(v.node);
            return Optional.empty();
        }

        public Map<String, Value> entries() {
            Map<String, Value> entries = new LinkedHashMap<>();
            if (node instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    String key = ((ScalarNode) t.getKeyNode()).getValue();
                    if (!Schema.extension(key)) {
                        entries.put(key, new Value(t.getValueNode(), child(key)));
                    }
                }
            }
            return entries;
        }

        public List<Value> items() {
            List<Value> items = new ArrayList<>();
            if (node instanceof SequenceNode s) {
                for (int i = 0; i < s.getValue().size(); i++) {
                    items.add(new Value(s.getValue().get(i), path + "[" + i + "]"));
                }
            }
            return items;
        }

        /** The scalar's text; marks it used. */
        public String text() {
            if (!(node instanceof ScalarNode s)) {
                throw error("expected a single value, found a " + (isList() ? "list" : "mapping"));
            }
            used.add(node);
            return s.getValue();
        }

        /** A scalar, or a list of scalars joined by the caller's rules: one string per item. */
        public List<String> strings() {
            if (isList()) {
                used.add(node);
                return items().stream().map(Value::text).toList();
            }
            return List.of(text());
        }

        public int integer() {
            String t = text();
            try {
                return Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw error("expected a whole number, found '" + Names.printable(t) + "'");
            }
        }

        public boolean bool() {
            String t = text().toLowerCase();
            return switch (t) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw error("expected true or false, found '" + Names.printable(t) + "'");
            };
        }

        /** Marks the whole value used (a block read as a unit, or reported as a unit). */
        public Value use() {
            used.add(node);
            return this;
        }

        /** Paths under this value that nothing read, highest first: what the caller did not honour. */
        public List<Value> unused() {
            List<Value> out = new ArrayList<>();
            collectUnused(this, out);
            return out;
        }

        private String child(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }

    private void collectUnused(Value v, List<Value> out) {
        if (used.contains(v.node)) {
            return;
        }
        if (!anyUsed(v.node)) {
            out.add(v);
            return;
        }
        if (v.isMap()) {
            v.entries().values().forEach(c -> collectUnused(c, out));
        } else if (v.isList()) {
            v.items().forEach(c -> collectUnused(c, out));
        }
    }

    private boolean anyUsed(Node node) {
        if (used.contains(node)) {
            return true;
        }
        if (node instanceof MappingNode m) {
            return m.getValue().stream().anyMatch(t -> anyUsed(t.getValueNode()));
        }
        if (node instanceof SequenceNode s) {
            return s.getValue().stream().anyMatch(this::anyUsed);
        }
        return false;
    }

    /** A copy of the tree with merge keys (<<) applied and variables substituted in every value. */
    private Node resolve(Node node, String path, Interpolation interpolation, boolean top) {
        if (node instanceof ScalarNode s) {
            if (Tag.NULL.equals(s.getTag()) || s.getValue().indexOf('$') < 0) {
                return s;
            }
            try {
                return new ScalarNode(Tag.STR, true, interpolation.apply(s.getValue()), s.getStartMark(), s.getEndMark(),
                        s.getScalarStyle());
            } catch (Interpolation.Failure f) {
                throw new UserInputException(this.path + ":" + (s.getStartMark().getLine() + 1) + ": " + path + ": "
                        + f.getMessage() + ". Nothing was changed.");
            }
        }
        if (node instanceof SequenceNode s) {
            List<Node> items = new ArrayList<>();
            for (int i = 0; i < s.getValue().size(); i++) {
                items.add(resolve(s.getValue().get(i), path + "[" + i + "]", interpolation, false));
            }
            return new SequenceNode(s.getTag(), true, items, s.getStartMark(), s.getEndMark(), s.getFlowStyle());
        }
        MappingNode m = (MappingNode) node;
        Map<String, NodeTuple> tuples = new LinkedHashMap<>();
        List<NodeTuple> merged = new ArrayList<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode key)) {
                throw new UserInputException(this.path + ":" + (t.getKeyNode().getStartMark().getLine() + 1)
                        + ": keys must be plain names. Nothing was changed.");
            }
            if (Tag.MERGE.equals(key.getTag()) || "<<".equals(key.getValue())) {
                Node source = t.getValueNode();
                List<Node> sources = source instanceof SequenceNode seq ? seq.getValue() : List.of(source);
                for (Node src : sources) {
                    if (src instanceof MappingNode sm) {
                        merged.addAll(sm.getValue());
                    }
                }
                continue;
            }
            String name = key.getValue();
            String childPath = path.isEmpty() ? name : path + "." + name;
            if (tuples.containsKey(name)) {
                throw new UserInputException(this.path + ":" + (key.getStartMark().getLine() + 1) + ": " + childPath
                        + ": duplicate key; each key may appear once. Nothing was changed.");
            }
            // top-level x- fields only hold anchors: the docker CLI does not substitute variables in them either
            Node value = top && Schema.extension(name) ? t.getValueNode()
                    : resolve(t.getValueNode(), childPath, interpolation, false);
            tuples.put(name, new NodeTuple(key, value));
        }
        for (NodeTuple t : merged) { // explicit keys win over merged ones
            String name = ((ScalarNode) t.getKeyNode()).getValue();
            if (!tuples.containsKey(name)) {
                String childPath = path.isEmpty() ? name : path + "." + name;
                tuples.put(name, new NodeTuple(t.getKeyNode(), resolve(t.getValueNode(), childPath, interpolation, false)));
            }
        }
        return new MappingNode(m.getTag(), true, new ArrayList<>(tuples.values()), m.getStartMark(), m.getEndMark(), m.getFlowStyle());
    }

    private void validate(Node node, Schema.Shape shape, String path) {
        Value v = new Value(node, path);
        if (v.isNull() || shape instanceof Schema.Any) {
            return;
        }
        if (shape instanceof Schema.Leaf) {
            if (v.isMap()) {
                throw v.error("expected a value or a list, found a mapping");
            }
            for (Value item : v.items()) {
                if (!(item.node instanceof ScalarNode)) {
                    throw item.error("expected a plain value");
                }
            }
        } else if (shape instanceof Schema.Obj obj) {
            if (node instanceof ScalarNode && obj.scalarOk()) {
                return;
            }
            if (!v.isMap()) {
                throw v.error("expected a mapping with keys " + String.join(", ", obj.keys().keySet()));
            }
            for (NodeTuple t : ((MappingNode) node).getValue()) {
                String key = ((ScalarNode) t.getKeyNode()).getValue();
                String childPath = path.isEmpty() ? key : path + "." + key;
                if (Schema.extension(key)) {
                    continue;
                }
                Schema.Shape child = obj.keys().get(key);
                if (child == null) {
                    String near = Schema.nearest(key, obj.keys().keySet());
                    throw new Value(t.getKeyNode(), childPath).error("unknown key"
                            + (near == null ? "" : "; did you mean '" + near + "'?")
                            + " (known here: " + String.join(", ", obj.keys().keySet()) + ")");
                }
                validate(t.getValueNode(), child, childPath);
            }
        } else if (shape instanceof Schema.Named named) {
            if (v.isList() && named.listOk()) {
                for (Value item : v.items()) {
                    if (!(item.node instanceof ScalarNode)) {
                        throw item.error("expected NAME or NAME=value");
                    }
                }
                return;
            }
            if (!v.isMap()) {
                throw v.error("expected a mapping of names" + (named.listOk() ? " or a list" : ""));
            }
            for (NodeTuple t : ((MappingNode) node).getValue()) {
                String key = ((ScalarNode) t.getKeyNode()).getValue();
                if (!Schema.extension(key)) {
                    validate(t.getValueNode(), named.each(), path.isEmpty() ? key : path + "." + key);
                }
            }
        } else if (shape instanceof Schema.ListOf list) {
            if (!v.isList()) {
                throw v.error("expected a list");
            }
            List<Value> items = v.items();
            for (int i = 0; i < items.size(); i++) {
                validate(items.get(i).node, list.each(), path + "[" + i + "]");
            }
        }
    }
}

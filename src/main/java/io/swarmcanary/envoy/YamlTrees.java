package io.swarmcanary.envoy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.util.List;

/** YAML in and out as Jackson trees: values are data, never text spliced into YAML. */
final class YamlTrees {
    static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)             // long type URLs stay on one line
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // a repeated key is a mistake, not an override
    static final ObjectMapper JSON = new ObjectMapper();

    private YamlTrees() {}

    /** Parses one YAML document whose top level is a mapping, or explains why it is not one. */
    static ObjectNode readMapping(String yaml) throws YamlException {
        List<JsonNode> documents;
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            documents = it.readAll();
        } catch (JsonProcessingException e) {
            throw new YamlException("YAML does not parse: " + firstLines(e.getOriginalMessage()) + location(e));
        } catch (IOException e) {
            throw new YamlException("YAML does not parse: " + e.getMessage());
        }
        if (documents.isEmpty() || documents.get(0) == null || documents.get(0).isMissingNode()
                || documents.get(0).isNull()) {
            throw new YamlException("YAML is empty: expected an Envoy bootstrap mapping");
        }
        if (documents.size() > 1) {
            throw new YamlException("YAML holds " + documents.size() + " documents: expected one Envoy bootstrap");
        }
        if (!(documents.get(0) instanceof ObjectNode root)) {
            throw new YamlException("YAML top level is a " + documents.get(0).getNodeType().name().toLowerCase()
                    + ": expected a mapping (an Envoy bootstrap)");
        }
        return root;
    }

    static String write(JsonNode tree) {
        try {
            return YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a YAML tree", e);
        }
    }

    /** SnakeYAML repeats the location and quotes the source under its message; keep the message. */
    private static String firstLines(String message) {
        return message == null ? "" : message.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .collect(java.util.stream.Collectors.joining("; "));
    }

    private static String location(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null || loc.getLineNr() < 1 ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    /** Why a YAML text is not one bootstrap mapping. */
    static final class YamlException extends Exception {
        YamlException(String message) {
            super(message);
        }
    }
}

package dev.veilraft.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Strict YAML for operator files (node configuration, attestation policy): unknown keys and nulls
 * for required values are errors, and every error names the file, the key path and the problem.
 */
final class YamlFiles {
  /** Operator files are a few KiB; this bounds what is read. */
  static final long FILE_BYTES_MAX = 1 << 20;

  static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private YamlFiles() {}

  /** The text of {@code file}; {@code what} names it in errors ("configuration file"). */
  static String read(Path file, String what) throws ConfigException {
    try {
      if (Files.size(file) > FILE_BYTES_MAX) {
        throw new ConfigException(file + ": " + what + " is larger than " + FILE_BYTES_MAX + " bytes");
      }
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": " + what + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read " + what + ": " + e.getMessage());
    }
  }

  /** {@code yaml} as a {@code type}; never null. */
  static <T> T parse(String yaml, Class<T> type, String source, String what) throws ConfigException {
    T value;
    try {
      value = MAPPER.readValue(yaml, type);
    } catch (JsonMappingException e) {
      throw keyError(source, e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
    }
    if (value == null) {
      throw new ConfigException(source + ": " + what + " is empty");
    }
    return value;
  }

  /** {@code yaml} as a tree whose root is a mapping (so overrides can be applied before binding). */
  static ObjectNode parseTree(String yaml, String source, String what) throws ConfigException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      throw new ConfigException(source + ": " + what + " is empty");
    }
    if (!tree.isObject()) {
      throw new ConfigException(source + ": " + what + " is a YAML " + tree.getNodeType().name().toLowerCase(
          java.util.Locale.ROOT) + ", expected a mapping of keys to values");
    }
    return (ObjectNode) tree;
  }

  /** {@code tree} as a {@code type}, with the same strictness and errors as {@link #parse}. */
  static <T> T bind(JsonNode tree, Class<T> type, String source) throws ConfigException {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonMappingException e) {
      throw keyError(source, e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": " + e.getOriginalMessage());
    }
  }

  private static ConfigException keyError(String source, JsonMappingException e) {
    String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
    return new ConfigException(source + ": key '" + key + "': " + e.getOriginalMessage());
  }
}

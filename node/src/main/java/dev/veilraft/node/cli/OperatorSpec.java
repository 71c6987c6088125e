package dev.veilraft.node.cli;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.Operator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An operator as given on the command line: {@code name=N,key=FILE.pub,nodes-max=K} (nodes-max
 * defaults to the genesis members_max). The key file is the operator's public key (SPKI PEM) as
 * 'veilraft operator keygen' writes it.
 */
final class OperatorSpec {
  private OperatorSpec() {}

  static Operator parse(String spec, String option, int defaultNodesMax) throws CryptoException {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(option + " '" + spec + "': expected name=N,key=FILE.pub[,nodes-max=K]");
      }
      String key = part.substring(0, eq).trim();
      if (!key.equals("name") && !key.equals("key") && !key.equals("nodes-max")) {
        throw new IllegalArgumentException(option + " '" + spec + "': unknown field '" + key
            + "' (expected name, key, nodes-max)");
      }
      if (fields.put(key, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException(option + " '" + spec + "': field '" + key + "' given twice");
      }
    }
    if (!fields.containsKey("name") || !fields.containsKey("key")) {
      throw new IllegalArgumentException(option + " '" + spec + "': name= and key= are required");
    }
    int nodesMax = defaultNodesMax;
    if (fields.containsKey("nodes-max")) {
      try {
        nodesMax = Integer.parseInt(fields.get("nodes-max"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " '" + spec + "': nodes-max is not a number");
      }
    }
    byte[] spki = OperatorKey.loadPublicKey(Path.of(fields.get("key")));
    return Operator.newBuilder().setName(fields.get("name"))
        .setPublicKeySpki(com.google.protobuf.ByteString.copyFrom(spki)).setNodesMax(nodesMax).build();
  }
}

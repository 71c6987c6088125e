package dev.veilraft.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.GovernanceMessages;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.SignedGov;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/**
 * The JSON forms of the governance API, shared by the node and the CLI:
 * <ul>
 *   <li>a signed message (request body, and the file 'gov propose --out' writes):
 *       {@code {"body": base64, "signature": base64}} (standard base64 of the protobuf bytes);
 *   <li>a result: {@code {"accepted", "code", "reason", "proposal_id" (hex)}};
 *   <li>a listing: {@code {"proposals": [{"id", "status", "action", "summary", "proposer",
 *       "approvals", "rejections", "expires_at_ms", "proposed_index", "proposed_at_ms",
 *       "closed_index", "closed_at_ms", "outcome", "proposal": {signed message}}]}}.
 * </ul>
 */
public final class GovernanceJson {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private GovernanceJson() {}

  public static byte[] signed(SignedGov signed) {
    return write(signedNode(signed));
  }

  /** Parses a signed message; IllegalArgumentException names what is wrong. */
  public static SignedGov parseSigned(byte[] json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("body is not JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body must be a JSON object {\"body\": base64, \"signature\": base64}");
    }
    return SignedGov.newBuilder().setBody(ByteString.copyFrom(base64(root, "body")))
        .setSignature(ByteString.copyFrom(base64(root, "signature"))).build();
  }

  public static byte[] result(MembershipResult result) {
    ObjectNode node = JSON.createObjectNode();
    node.put("accepted", result.getAccepted());
    node.put("code", result.getCode());
    node.put("reason", result.getReason());
    node.put("proposal_id", Hashes.hex(result.getProposalId().toByteArray()));
    return write(node);
  }

  public static byte[] list(List<ProposalRecord> records) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode proposals = root.putArray("proposals");
    for (ProposalRecord r : records) {
      ObjectNode p = proposals.addObject();
      p.put("id", Hashes.hex(r.getProposalId().toByteArray()));
      p.put("status", r.getStatus().name());
      try {
        GovProposal body = GovProposal.parseFrom(r.getProposal().getBody());
        p.put("action", GovernanceMessages.describeAction(body));
        p.put("summary", body.getSummary());
      } catch (InvalidProtocolBufferException e) {
        p.put("action", "unparsable");
      }
      p.put("proposer", r.getProposer());
      r.getApprovalsList().forEach(p.putArray("approvals")::add);
      r.getRejectionsList().forEach(p.putArray("rejections")::add);
      p.put("expires_at_ms", r.getExpiresAtMs());
      p.put("proposed_index", r.getProposedIndex());
      p.put("proposed_at_ms", r.getProposedAtMs());
      p.put("closed_index", r.getClosedIndex());
      p.put("closed_at_ms", r.getClosedAtMs());
      p.put("outcome", r.getOutcome());
      p.set("proposal", signedNode(r.getProposal()));
    }
    return write(root);
  }

  /** Reads JSON the node answered (for the CLI). */
  public static JsonNode tree(byte[] json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("answer is not JSON: " + e.getMessage());
    }
  }

  private static ObjectNode signedNode(SignedGov signed) {
    ObjectNode node = JSON.createObjectNode();
    node.put("body", Base64.getEncoder().encodeToString(signed.getBody().toByteArray()));
    node.put("signature", Base64.getEncoder().encodeToString(signed.getSignature().toByteArray()));
    return node;
  }

  private static byte[] base64(JsonNode root, String field) {
    JsonNode value = root.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a base64 string");
    }
    try {
      return Base64.getDecoder().decode(value.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field '" + field + "' is not standard base64: " + e.getMessage());
    }
  }

  private static byte[] write(JsonNode node) {
    try {
      return (JSON.writeValueAsString(node) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

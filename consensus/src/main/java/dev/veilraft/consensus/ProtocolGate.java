package dev.veilraft.consensus;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.AliasedProtobuf;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.ProtocolVersions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fail-stop instead of divergence: decides, before an entry is applied, whether this build can
 * apply it exactly as its peers do. It cannot when the cluster's active protocol version is above
 * what the build applies, or when the entry's own structure (the LogEntry and the Proposal with
 * every message nested in it) holds a field or oneof case or enum value this build does not know:
 * proto3 parses those silently into unknown fields, and apply would then act as if they were
 * absent while a newer build acts on them. Either way the replica halts
 * ({@link ReplicaHaltedException}) and persists nothing of the entry.
 *
 * <p>Only the structure members produce is checked. Bytes fields that carry serialized messages
 * of others (a client's sealed ciphertext, an operator-signed governance body, the genesis,
 * evidence) are opaque here: their own parsers decide them deterministically under the active
 * version's rules, so a client cannot turn its bytes into a halt of every replica. A client's
 * {@link dev.veilraft.crypto.proto.SealedRequest} is structure: the member that proposes it
 * copied it into its proposal, and the leader refuses proposals with unknown structure before
 * they enter the log ({@link #unknownStructure}). See DESIGN.md "Upgrades that change apply".
 */
public final class ProtocolGate {
  /**
   * Deepest nesting walked. The schema nests about six levels (Proposal, RemoveMember, KeyEpoch,
   * HpkeWrap); unknown fields are not parsed into messages, so a deeper entry cannot come from a
   * known schema.
   */
  static final int DEPTH_MAX = 16;
  /**
   * Most messages walked in one entry. An entry is at most {@link Limits#PROPOSAL_BYTES_MAX} bytes
   * and every nested message takes at least two, so this bound is never reached by a valid entry;
   * it keeps the walk's cost a named constant anyway.
   */
  static final int MESSAGES_MAX = Limits.PROPOSAL_BYTES_MAX / 2 + 2;
  /** Most findings named in one message (the first ones, in field order). */
  static final int FINDINGS_MAX = 8;

  private ProtocolGate() {}

  /**
   * Halts unless this build, which applies protocol versions up to {@code buildMax}, can apply the
   * entry at {@code index} on {@code view} faithfully. The caller parsed the entry: {@code entry} is
   * null when its bytes are not a {@code LogEntry}, {@code proposal} null when the entry's proposal
   * is not a {@code Proposal}. Those are left alone: apply refuses them deterministically
   * (MALFORMED_ENTRY) on every build alike.
   *
   * @throws ReplicaHaltedException naming the entry, the versions and what to do
   */
  public static void check(long index, LogEntry entry, Proposal proposal, MembershipView view, long buildMax) {
    long active = view.initialized() ? view.protocolVersion() : ProtocolVersions.DEFAULT;
    if (active > buildMax) {
      throw new ReplicaHaltedException("entry " + index + " needs protocol version " + active
          + ", this build applies up to " + buildMax + ": upgrade this node");
    }
    if (entry == null) {
      return;
    }
    if (known(entry, 0, new int[] {MESSAGES_MAX}) && (proposal == null || known(proposal, 0, new int[] {MESSAGES_MAX}))) {
      return;
    }
    List<String> found = new ArrayList<>();
    walk(entry, "log_entry", 0, new int[] {MESSAGES_MAX}, found);
    if (proposal != null) {
      walk(proposal, "proposal", 0, new int[] {MESSAGES_MAX}, found);
    }
    if (!found.isEmpty()) {
      throw new ReplicaHaltedException("entry " + index + " carries structure this build does not know ("
          + String.join("; ", found) + "); it was made for a newer protocol than the active version " + active
          + " this build applies (up to " + buildMax + "), so applying it could differ from newer members: "
          + "upgrade this node");
    }
  }

  /**
   * What in a proposal this build does not know, for the leader's check before the proposal enters
   * the log; empty when it knows every field (or when the bytes do not parse: apply refuses those).
   * Reads {@code proposalBytes} in place: the caller must not change them during the call.
   */
  public static Optional<String> unknownStructure(byte[] proposalBytes) {
    Proposal proposal;
    try {
      // Views of the caller's bytes, not copies: the walk only reads them, and nothing of it is kept.
      proposal = AliasedProtobuf.parse(Proposal.parser(), proposalBytes);
    } catch (InvalidProtocolBufferException e) {
      return Optional.empty();
    }
    if (known(proposal, 0, new int[] {MESSAGES_MAX})) {
      return Optional.empty();
    }
    List<String> found = new ArrayList<>();
    walk(proposal, "proposal", 0, new int[] {MESSAGES_MAX}, found);
    return found.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", found));
  }

  /**
   * Whether {@link #walk} would find nothing under {@code m}, without building the names it
   * reports: every entry on every replica takes this path, and only a refused one the naming walk.
   * It reads only the message- and enum-typed fields of each type ({@link #STRUCTURAL}), through
   * the descriptor, instead of {@code getAllFields}, which builds a sorted map of every set field
   * per message (most of this check's cost, 1–2% of a follower's CPU, before).
   */
  private static boolean known(Message m, int depth, int[] budget) {
    if (depth > DEPTH_MAX || --budget[0] < 0 || !m.getUnknownFields().asMap().isEmpty()) {
      return false;
    }
    for (FieldDescriptor field : STRUCTURAL.computeIfAbsent(m.getDescriptorForType(), ProtocolGate::structuralFields)) {
      if (field.isRepeated()) {
        int count = m.getRepeatedFieldCount(field);
        for (int i = 0; i < count; i++) {
          if (!known(field, m.getRepeatedField(field, i), depth, budget)) {
            return false;
          }
        }
      } else if (m.hasField(field) && !known(field, m.getField(field), depth, budget)) {
        return false;
      }
    }
    return true;
  }

  private static boolean known(FieldDescriptor field, Object value, int depth, int[] budget) {
    if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return known((Message) value, depth + 1, budget);
    }
    EnumValueDescriptor enumValue = (EnumValueDescriptor) value;
    return enumValue.getType().findValueByNumber(enumValue.getNumber()) != null;
  }

  /** The message- and enum-typed fields of each message type: the only fields that can hide unknown structure. */
  private static final Map<Descriptor, FieldDescriptor[]> STRUCTURAL = new ConcurrentHashMap<>();

  private static FieldDescriptor[] structuralFields(Descriptor type) {
    return type.getFields().stream()
        .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE || f.getJavaType() == FieldDescriptor.JavaType.ENUM)
        .toArray(FieldDescriptor[]::new);
  }

  /** Appends to {@code found} every unknown field, unknown enum value and overflow of the bounds under {@code m}. */
  private static void walk(Message m, String path, int depth, int[] budget, List<String> found) {
    if (found.size() >= FINDINGS_MAX) {
      return;
    }
    if (depth > DEPTH_MAX || --budget[0] < 0) {
      found.add(path + " nests deeper than " + DEPTH_MAX + " or holds more than " + MESSAGES_MAX + " messages");
      return;
    }
    if (!m.getUnknownFields().asMap().isEmpty()) {
      found.add(path + " has unknown field number(s) " + m.getUnknownFields().asMap().keySet());
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor field = e.getKey();
      String name = path + "." + field.getName();
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (field.isRepeated()) {
          List<?> items = (List<?>) e.getValue();
          for (int i = 0; i < items.size(); i++) {
            walk((Message) items.get(i), name + "[" + i + "]", depth + 1, budget, found);
          }
        } else {
          walk((Message) e.getValue(), name, depth + 1, budget, found);
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.ENUM) {
        List<?> values = field.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
        for (Object v : values) {
          EnumValueDescriptor value = (EnumValueDescriptor) v;
          // proto3 enums are open: a number this build does not know parses into a placeholder
          // descriptor that is not among the type's values.
          if (value.getType().findValueByNumber(value.getNumber()) == null && found.size() < FINDINGS_MAX) {
            found.add(name + " has unknown enum value " + value.getNumber());
          }
        }
      }
    }
  }
}

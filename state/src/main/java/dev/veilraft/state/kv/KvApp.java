package dev.veilraft.state.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The built-in key-value application. {@link #apply} is a pure function of the transaction's
 * state and the request bytes: no clock, no randomness, no I/O but the transaction, so every
 * replica that applies the same entry to the same state gets the same result and writes.
 */
public final class KvApp {
  public static final String NAME = "kv";
  public static final String NAMESPACE = "app/kv";
  public static final int keySizeBytesMax = 1024;
  public static final int valueSizeBytesMax = 64 * 1024;

  private KvApp() {}

  /**
   * Applies one request to {@code tx} (the caller commits it). Bad requests are refused with a
   * {@link KvResult} naming the problem and change nothing.
   *
   * @throws StateException when the store itself fails (local corruption, not a request error)
   */
  public static KvResult apply(StateTransaction tx, byte[] requestBytes) throws StateException {
    Objects.requireNonNull(tx, "tx");
    Objects.requireNonNull(requestBytes, "requestBytes");
    KvRequest request;
    try {
      request = KvRequest.parseFrom(requestBytes);
    } catch (InvalidProtocolBufferException e) {
      return KvResult.refused("kv request is not a KvRequest protobuf: " + e.getMessage());
    }
    return switch (request.getOpCase()) {
      case PUT -> put(tx, request.getPut());
      case GET -> get(tx, request.getGet());
      case DELETE -> delete(tx, request.getDelete());
      case COMPARE_AND_SET -> compareAndSet(tx, request.getCompareAndSet());
      case OP_NOT_SET -> KvResult.refused("kv request has no operation");
    };
  }

  private static KvResult put(StateTransaction tx, KvRequest.Put op) throws StateException {
    Optional<String> refusal = checkKey(op.getKey()).or(() -> checkValue("value", op.getValue()));
    if (refusal.isPresent()) {
      return KvResult.refused(refusal.get());
    }
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> previous = tx.get(NAMESPACE, key);
    tx.put(NAMESPACE, key, op.getValue().toByteArray());
    return KvResult.success(describe(previous).build());
  }

  private static KvResult get(StateTransaction tx, KvRequest.Get op) throws StateException {
    Optional<String> refusal = checkKey(op.getKey());
    if (refusal.isPresent()) {
      return KvResult.refused(refusal.get());
    }
    return KvResult.success(describe(tx.get(NAMESPACE, op.getKey().toByteArray())).build());
  }

  private static KvResult delete(StateTransaction tx, KvRequest.Delete op) throws StateException {
    Optional<String> refusal = checkKey(op.getKey());
    if (refusal.isPresent()) {
      return KvResult.refused(refusal.get());
    }
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> previous = tx.get(NAMESPACE, key);
    if (previous.isPresent()) {
      tx.delete(NAMESPACE, key);
    }
    return KvResult.success(describe(previous).build());
  }

  /**
   * Swaps when the current value matches. The response always carries the value from before the
   * request: the replaced value when swapped, the unchanged current value when not.
   */
  private static KvResult compareAndSet(StateTransaction tx, KvRequest.CompareAndSet op) throws StateException {
    Optional<String> refusal = checkKey(op.getKey())
        .or(() -> checkValue("new_value", op.getNewValue()))
        .or(() -> checkValue("expected_value", op.getExpectedValue()))
        .or(() -> op.getExpectAbsent() && !op.getExpectedValue().isEmpty()
            ? Optional.of("kv compare_and_set sets both expect_absent and expected_value")
            : Optional.empty());
    if (refusal.isPresent()) {
      return KvResult.refused(refusal.get());
    }
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> current = tx.get(NAMESPACE, key);
    boolean matches = op.getExpectAbsent()
        ? current.isEmpty()
        : current.map(value -> Arrays.equals(value, op.getExpectedValue().toByteArray())).orElse(false);
    if (matches) {
      tx.put(NAMESPACE, key, op.getNewValue().toByteArray());
    }
    return KvResult.success(describe(current).setSwapped(matches).build());
  }

  private static KvResponse.Builder describe(Optional<byte[]> value) {
    KvResponse.Builder response = KvResponse.newBuilder().setFound(value.isPresent());
    value.ifPresent(bytes -> response.setValue(ByteString.copyFrom(bytes)));
    return response;
  }

  private static Optional<String> checkKey(ByteString key) {
    if (key.isEmpty()) {
      return Optional.of("kv key is empty");
    }
    if (key.size() > keySizeBytesMax) {
      return Optional.of("kv key is " + key.size() + " bytes, over keySizeBytesMax " + keySizeBytesMax);
    }
    return Optional.empty();
  }

  private static Optional<String> checkValue(String field, ByteString value) {
    if (value.size() > valueSizeBytesMax) {
      return Optional.of("kv " + field + " is " + value.size() + " bytes, over valueSizeBytesMax " + valueSizeBytesMax);
    }
    return Optional.empty();
  }
}

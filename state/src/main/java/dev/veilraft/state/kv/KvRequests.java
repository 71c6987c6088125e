package dev.veilraft.state.kv;

import com.google.protobuf.ByteString;
import dev.veilraft.state.proto.KvRequest;
import java.nio.charset.StandardCharsets;

/** Builders of {@link KvApp} requests, for clients, tools and tests. */
public final class KvRequests {
  private KvRequests() {}

  public static KvRequest put(byte[] key, byte[] value) {
    return KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder().setKey(ByteString.copyFrom(key))
        .setValue(ByteString.copyFrom(value))).build();
  }

  /**
   * A put whose response says whether the key existed but not its previous value: a smaller
   * answer, and a smaller result for the cluster to keep until the client acknowledges it.
   */
  public static KvRequest putOmittingPrevious(byte[] key, byte[] value) {
    return KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder().setKey(ByteString.copyFrom(key))
        .setValue(ByteString.copyFrom(value)).setOmitPrevious(true)).build();
  }

  public static KvRequest put(String key, String value) {
    return put(utf8(key), utf8(value));
  }

  public static KvRequest get(byte[] key) {
    return KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder().setKey(ByteString.copyFrom(key))).build();
  }

  public static KvRequest get(String key) {
    return get(utf8(key));
  }

  public static KvRequest delete(byte[] key) {
    return KvRequest.newBuilder().setDelete(KvRequest.Delete.newBuilder().setKey(ByteString.copyFrom(key))).build();
  }

  /** Swaps to {@code newValue} when the current value is {@code expected}. */
  public static KvRequest compareAndSet(byte[] key, byte[] expected, byte[] newValue) {
    return KvRequest.newBuilder().setCompareAndSet(KvRequest.CompareAndSet.newBuilder().setKey(ByteString.copyFrom(key))
        .setExpectedValue(ByteString.copyFrom(expected)).setNewValue(ByteString.copyFrom(newValue))).build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.veilraft.state.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.state.StateException;
import dev.veilraft.state.app.App;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppException;
import dev.veilraft.state.app.AppReader;
import dev.veilraft.state.app.AppState;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.util.Arrays;
import java.util.Optional;

/**
 * The built-in key-value application: put, get, delete and compare-and-set over its namespace
 * ({@code app/kv}); get is also a query. A pure function of its state and the request, so every
 * replica that applies the same entry gets the same result and writes. Bad requests are refused
 * with a message naming the problem and change nothing.
 */
public final class KvApp implements App {
  public static final String NAME = "kv";
  public static final int keySizeBytesMax = 1024;
  public static final int valueSizeBytesMax = 64 * 1024;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] apply(AppContext context, AppState state, byte[] requestBytes) throws AppException, StateException {
    KvRequest request = parse(requestBytes);
    KvResponse response = switch (request.getOpCase()) {
      case PUT -> put(state, request.getPut());
      case GET -> get(state, request.getGet());
      case DELETE -> delete(state, request.getDelete());
      case COMPARE_AND_SET -> compareAndSet(state, request.getCompareAndSet());
      case OP_NOT_SET -> throw new AppException("kv request has no operation");
    };
    return response.toByteArray();
  }

  /** Reads: a get, answered from committed state without a log entry. */
  @Override
  public byte[] query(AppReader state, byte[] requestBytes) throws AppException, StateException {
    KvRequest request = parse(requestBytes);
    if (request.getOpCase() != KvRequest.OpCase.GET) {
      throw new AppException("kv queries are gets; " + request.getOpCase() + " must be sent as a request");
    }
    return get(state, request.getGet()).toByteArray();
  }

  private static KvRequest parse(byte[] requestBytes) throws AppException {
    try {
      return KvRequest.parseFrom(requestBytes);
    } catch (InvalidProtocolBufferException e) {
      throw new AppException("kv request is not a KvRequest protobuf: " + e.getMessage());
    }
  }

  private static KvResponse put(AppState state, KvRequest.Put op) throws AppException, StateException {
    checkKey(op.getKey());
    checkValue("value", op.getValue());
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> previous = state.get(key);
    state.put(key, op.getValue().toByteArray());
    return op.getOmitPrevious() ? KvResponse.newBuilder().setFound(previous.isPresent()).build()
        : describe(previous).build();
  }

  private static KvResponse get(AppReader state, KvRequest.Get op) throws AppException, StateException {
    checkKey(op.getKey());
    return describe(state.get(op.getKey().toByteArray())).build();
  }

  private static KvResponse delete(AppState state, KvRequest.Delete op) throws AppException, StateException {
    checkKey(op.getKey());
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> previous = state.get(key);
    if (previous.isPresent()) {
      state.delete(key);
    }
    return describe(previous).build();
  }

  /**
   * Swaps when the current value matches. The response always carries the value from before the
   * request: the replaced value when swapped, the unchanged current value when not.
   */
  private static KvResponse compareAndSet(AppState state, KvRequest.CompareAndSet op)
      throws AppException, StateException {
    checkKey(op.getKey());
    checkValue("new_value", op.getNewValue());
    checkValue("expected_value", op.getExpectedValue());
    if (op.getExpectAbsent() && !op.getExpectedValue().isEmpty()) {
      throw new AppException("kv compare_and_set sets both expect_absent and expected_value");
    }
    byte[] key = op.getKey().toByteArray();
    Optional<byte[]> current = state.get(key);
    boolean matches = op.getExpectAbsent()
        ? current.isEmpty()
        : current.map(value -> Arrays.equals(value, op.getExpectedValue().toByteArray())).orElse(false);
    if (matches) {
      state.put(key, op.getNewValue().toByteArray());
    }
    return describe(current).setSwapped(matches).build();
  }

  private static KvResponse.Builder describe(Optional<byte[]> value) {
    KvResponse.Builder response = KvResponse.newBuilder().setFound(value.isPresent());
    value.ifPresent(bytes -> response.setValue(ByteString.copyFrom(bytes)));
    return response;
  }

  private static void checkKey(ByteString key) throws AppException {
    if (key.isEmpty()) {
      throw new AppException("kv key is empty");
    }
    if (key.size() > keySizeBytesMax) {
      throw new AppException("kv key is " + key.size() + " bytes, over keySizeBytesMax " + keySizeBytesMax);
    }
  }

  private static void checkValue(String field, ByteString value) throws AppException {
    if (value.size() > valueSizeBytesMax) {
      throw new AppException("kv " + field + " is " + value.size() + " bytes, over valueSizeBytesMax "
          + valueSizeBytesMax);
    }
  }
}

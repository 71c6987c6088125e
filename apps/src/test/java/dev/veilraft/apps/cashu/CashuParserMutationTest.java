package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.proto.EventResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of every parser in the mint (the front end's wire parsing, the app's
 * request decoder, apply itself), run as a regular test: valid requests are mutated (bit flips,
 * cuts, splices of hostile JSON fragments) and each result must end in the parser's own refusal
 * or a clean answer, never another exception, a crash of apply or an HTTP status outside the
 * protocol's. The seed is printed on failure.
 */
class CashuParserMutationTest {
  static final long SEED = 20261121;
  static final int MUTATIONS_PER_SEED_INPUT = 150;
  static final String[] FRAGMENTS = {"1e999", "-0", "9007199254740993", "\"\\ud800\"", "null", "[[[[[[[[", "{}", "[]",
      "\"amount\"", "0.5", "\"02" + "ff".repeat(32) + "\"", "true", ",", ":", "\"\u0000\"", "1".repeat(40)};

  static final String STRUCTURAL = "{}[]\",:0123456789-eE.\\ntfa";

  @TempDir Path dir;
  MintHarness mint;
  final List<byte[]> wire = new ArrayList<>();
  final List<String> wirePaths = new ArrayList<>();
  final List<byte[]> internal = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir);
    TestWallet wallet = mint.wallet("mutations");
    List<TestWallet.Held> coins = mint.mint(wallet, 40);
    add("/v1/swap", TestWallet.swapBody(coins, wallet.outputsFor(39)));
    ObjectNode mintRequest = CashuJson.object().put("quote", mint.paidQuote(3));
    mintRequest.set("outputs", TestWallet.outputsJson(wallet.outputs(2, 1)));
    add("/v1/mint/bolt11", mintRequest);
    add("/v1/mint/quote/bolt11", CashuJson.object().put("amount", 5).put("unit", "sat").put("description", "d"));
    String invoice = mint.lightning.createInvoice(3, "", 600).join().bolt11();
    add("/v1/melt/quote/bolt11", CashuJson.object().put("request", invoice).put("unit", "sat"));
    ObjectNode checkState = CashuJson.object();
    coins.forEach(c -> checkState.withArray("Ys").add(dev.veilraft.crypto.Hashes.hex(c.y())));
    add("/v1/checkstate", checkState);
    List<Proof> proofs = coins.stream().map(h -> new Proof(h.amount(), h.keysetId(), h.secret(), h.c())).toList();
    List<BlindedMessage> outputs = wallet.outputs(1).stream()
        .map(o -> new BlindedMessage(o.amount(), o.keysetId(), o.blinded())).toList();
    internal.add(new MintRequest.Swap(proofs, outputs).encode());
    internal.add(new MintRequest.LockMelt("0190f5a0-0000-7000-8000-000000000000", proofs, outputs).encode());
    internal.add(new MintRequest.CreateMintQuote(3, invoice).encode());
    internal.add(MintRequest.SettleMelt.paid("0190f5a0-0000-7000-8000-000000000000", "ab".repeat(32), 1).encode());
    internal.add(new MintRequest.CheckState(List.of(coins.get(0).y())).encode());
  }

  @AfterEach
  void close() {
    mint.close();
  }

  private void add(String path, ObjectNode body) {
    wirePaths.add(path);
    wire.add(CashuJson.write(body));
  }

  @Test
  void mutatedWireRequestsGetProtocolAnswers() {
    // Proves the front end answers every mutated wallet request with JSON and a Cashu status (200, 400), never
    // an exception, a 5xx or a hang.
    Random random = new Random(SEED);
    for (int i = 0; i < wire.size(); i++) {
      for (int m = 0; m < MUTATIONS_PER_SEED_INPUT; m++) {
        byte[] mutated = mutate(wire.get(i), random);
        MintHarness.Answer answer = MintHarness.call(mint.api, "POST", wirePaths.get(i), mutated);
        if (answer.status() != 200 && answer.status() != 400) {
          fail("seed " + SEED + ": " + wirePaths.get(i) + " answered " + answer.status() + " " + answer.json()
              + " to " + new String(mutated, StandardCharsets.UTF_8));
        }
        if (answer.status() == 400) {
          assertThat(MintError.byCode(answer.code())).as("code of %s", answer.json()).isNotNull();
        }
      }
    }
    assertThat(mint.accounting().balanced()).isTrue();
  }

  @Test
  void mutatedAppRequestsAreDecodedOrRefusedAndNeverCrashApply() throws Exception {
    // Proves the app's decoder throws only its refusal, and apply answers OK or a coded refusal for any mutated
    // request: it never fails with an unexpected exception (which the host would report by class name).
    Random random = new Random(SEED + 1);
    for (byte[] seedInput : internal) {
      for (int m = 0; m < MUTATIONS_PER_SEED_INPUT; m++) {
        byte[] mutated = mutate(seedInput, random);
        try {
          MintRequest.decode(mutated);
        } catch (MintRefusal expected) {
          assertThat(expected.detail()).isNotBlank();
        } catch (RuntimeException e) {
          throw new AssertionError("seed " + SEED + ": decode threw " + e + " on "
              + new String(mutated, StandardCharsets.UTF_8), e);
        }
        EventResult result = mint.gateway.apply(CashuMintApp.NAME, mutated, mint.clock.millis());
        if (result.getStatus() == EventResult.Status.REJECTED) {
          assertThat(MintRefusal.fromAppMessage(result.getError())).as("seed %s: refusal '%s' for %s", SEED,
              result.getError(), new String(mutated, StandardCharsets.UTF_8)).isNotNull();
        }
      }
    }
    assertThat(mint.accounting().balanced()).isTrue();
  }

  static byte[] mutate(byte[] input, Random random) {
    byte[] out = input.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = out.length == 0 ? 0 : random.nextInt(out.length);
      switch (random.nextInt(5)) {
        case 0 -> {
          if (out.length > 0) {
            out[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 1 -> out = Arrays.copyOf(out, at);
        case 2 -> {
          byte[] fragment = FRAGMENTS[random.nextInt(FRAGMENTS.length)].getBytes(StandardCharsets.UTF_8);
          out = splice(out, at, fragment);
        }
        case 3 -> {
          int end = Math.min(out.length, at + 1 + random.nextInt(16));
          byte[] cut = new byte[out.length - (end - at)];
          System.arraycopy(out, 0, cut, 0, at);
          System.arraycopy(out, end, cut, at, out.length - end);
          out = cut;
        }
        default -> {
          if (out.length > 0) {
            out[at] = (byte) STRUCTURAL.charAt(random.nextInt(STRUCTURAL.length()));
          }
        }
      }
    }
    return out;
  }

  private static byte[] splice(byte[] input, int at, byte[] fragment) {
    byte[] out = new byte[input.length + fragment.length];
    System.arraycopy(input, 0, out, 0, at);
    System.arraycopy(fragment, 0, out, at, fragment.length);
    System.arraycopy(input, at, out, at + fragment.length, input.length - at);
    return out;
  }
}

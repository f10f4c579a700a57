package io.streamtrain.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted unpickler for the {@code data.pkl} of a PyTorch state dict, after PyTorch's own
 * {@code weights_only=True} loader: it knows only the opcodes a state dict uses and resolves only
 * the globals {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and the
 * {@code torch.*Storage} types, and it never calls anything: REDUCE on an allowed global builds a
 * plain Java value. Anything else fails with a {@link PickleException} naming the opcode or global.
 *
 * <p>Values: Python str → String, int → Long, float → Double, bool → Boolean, None → null, list →
 * ArrayList, tuple → {@link Tuple}, dict and OrderedDict → LinkedHashMap, a persistent id → {@link
 * Storage}, a rebuilt tensor → {@link TensorRef}.
 */
final class PickleReader {
  static final String ORDERED_DICT = "collections.OrderedDict";
  static final String REBUILD_TENSOR = "torch._utils._rebuild_tensor_v2";

  /** torch.*Storage type → our dtype name (as in NamedTensor). */
  static final Map<String, String> STORAGE_DTYPES =
      Map.ofEntries(
          Map.entry("torch.FloatStorage", Tensors.FLOAT32),
          Map.entry("torch.DoubleStorage", Tensors.FLOAT64),
          Map.entry("torch.HalfStorage", Tensors.FLOAT16),
          Map.entry("torch.BFloat16Storage", Tensors.BFLOAT16),
          Map.entry("torch.LongStorage", Tensors.INT64),
          Map.entry("torch.IntStorage", Tensors.INT32),
          Map.entry("torch.ShortStorage", Tensors.INT16),
          Map.entry("torch.CharStorage", Tensors.INT8),
          Map.entry("torch.ByteStorage", Tensors.UINT8),
          Map.entry("torch.BoolStorage", Tensors.BOOL));

  private static final Set<String> ALLOWED_CALLS = Set.of(ORDERED_DICT, REBUILD_TENSOR);
  private static final String SCRIPT_CLASSES = "__torch__.";
  // torch.jit._pickle's helpers that rebuild a typed list (or tag a value): they return it.
  private static final Set<String> SCRIPT_LISTS =
      Set.of(
          "torch.jit._pickle.build_intlist",
          "torch.jit._pickle.build_doublelist",
          "torch.jit._pickle.build_boollist",
          "torch.jit._pickle.build_tensorlist",
          "torch.jit._pickle.build_genericlist",
          "torch.jit._pickle.restore_type_tag");
  private static final int MAX_DEPTH = 10_000;

  /** A Python tuple. */
  record Tuple(List<Object> items) {}

  /** An allowed global (a class or function we never call). */
  record Global(String name) {}

  /**
   * An object of a TorchScript class ({@code __torch__.*}, a scripted module) with its attributes,
   * as {@code data.pkl} of a TorchScript archive holds it. Only built by {@link #readModule}.
   */
  record ScriptObject(String className, Map<Object, Object> attributes) {}

  /** A tensor storage named by a persistent id: the archive entry {@code data/<key>}. */
  record Storage(String key, String dtype, long numel) {}

  /** The arguments of {@code _rebuild_tensor_v2}: a strided view of a storage. */
  record TensorRef(Storage storage, long offset, long[] size, long[] stride) {}

  /** A pickle this reader refuses or cannot parse; the message is one line. */
  static final class PickleException extends IllegalArgumentException {
    PickleException(String message) {
      super(message);
    }
  }

  private static final Object MARK = new Object();

  private final PickleInput in;
  private final List<Object> stack = new ArrayList<>();
  private final List<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();
  private final Map<String, Storage> storages = new HashMap<>();

  // TorchScript archives also build __torch__.* objects and call torch.jit._pickle's list makers.
  private final boolean module;

  private PickleReader(byte[] pickle, boolean module) {
    this.in = new PickleInput(pickle);
    this.module = module;
  }

  /** Unpickles {@code pickle} under the restrictions above and returns the top-level value. */
  static Object read(byte[] pickle) {
    return new PickleReader(pickle, false).run();
  }

  /**
   * Unpickles the {@code data.pkl} of a TorchScript archive: as {@link #read}, plus objects of
   * {@code __torch__.*} classes (NEWOBJ, then BUILD with their attributes: a {@link ScriptObject},
   * nothing of the class is run) and {@code torch.jit._pickle}'s typed-list helpers, which return
   * their list.
   */
  static Object readModule(byte[] pickle) {
    return new PickleReader(pickle, true).run();
  }

  private Object run() {
    while (true) {
      if (!in.hasRemaining()) {
        throw new PickleException("the pickle ends without a STOP opcode (truncated)");
      }
      int position = in.position();
      int opcode = in.u8();
      switch (opcode) {
        case 0x80 -> { // PROTO
          int protocol = in.u8();
          if (protocol > 5) {
            throw new PickleException("unknown pickle protocol " + protocol);
          }
        }
        case 0x95 -> in.bytes(8); // FRAME: framing is advisory, the bytes follow inline
        case '.' -> { // STOP
          Object result = pop();
          if (!stack.isEmpty() || !marks.isEmpty()) {
            throw new PickleException("the pickle stops with values left on its stack");
          }
          return result;
        }
        case '(' -> { // MARK
          marks.add(stack.size());
          push(MARK);
        }
        case '0' -> pop(); // POP
        case '1' -> popMark(); // POP_MARK
        case '2' -> push(peek()); // DUP
        case 'q' -> memo.put((long) in.u8(), peek()); // BINPUT
        case 'r' -> memo.put(in.u32(), peek()); // LONG_BINPUT
        case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
        case 'h' -> push(memoGet(in.u8())); // BINGET
        case 'j' -> push(memoGet(in.u32())); // LONG_BINGET
        case 'N' -> push(null); // NONE
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 'J' -> push(in.i32()); // BININT
        case 'K' -> push((long) in.u8()); // BININT1
        case 'M' -> push(in.u16()); // BININT2
        case 0x8a -> push(in.long1()); // LONG1
        case 'G' -> push(in.float64()); // BINFLOAT
        case 'X' -> push(in.utf8(Math.toIntExact(in.u32()))); // BINUNICODE
        case 0x8c -> push(in.utf8(in.u8())); // SHORT_BINUNICODE
        case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
        case 0x85 -> push(tuple(1)); // TUPLE1
        case 0x86 -> push(tuple(2)); // TUPLE2
        case 0x87 -> push(tuple(3)); // TUPLE3
        case 't' -> push(new Tuple(popMark())); // TUPLE (items may be null: Python None)
        case ']' -> push(new ArrayList<>()); // EMPTY_LIST
        case 'l' -> push(new ArrayList<>(popMark())); // LIST
        case 'a' -> { // APPEND
          Object value = pop();
          list(peek()).add(value);
        }
        case 'e' -> { // APPENDS
          List<Object> values = popMark();
          list(peek()).addAll(values);
        }
        case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
        case 'd' -> { // DICT
          Map<Object, Object> dict = new LinkedHashMap<>();
          putAll(dict, popMark());
          push(dict);
        }
        case 's' -> { // SETITEM
          Object value = pop();
          Object key = pop();
          dict(peek()).put(key, value);
        }
        case 'u' -> { // SETITEMS
          List<Object> items = popMark();
          putAll(dict(peek()), items);
        }
        case 'c' -> push(global(in.line() + "." + in.line())); // GLOBAL
        case 0x93 -> { // STACK_GLOBAL
          Object name = pop();
          Object module = pop();
          if (!(module instanceof String) || !(name instanceof String)) {
            throw new PickleException("STACK_GLOBAL needs two strings");
          }
          push(global(module + "." + name));
        }
        case 'Q' -> push(persistentLoad(pop())); // BINPERSID
        case 'R' -> { // REDUCE
          Object args = pop();
          Object callable = pop();
          push(reduce(callable, args));
        }
        case 0x81 -> { // NEWOBJ
          Object args = pop();
          Object type = pop();
          if (!module
              || !(type instanceof Global global)
              || !global.name().startsWith(SCRIPT_CLASSES)
              || !(args instanceof Tuple tuple)
              || !tuple.items().isEmpty()) {
            throw new PickleException(
                String.format(
                    "pickle opcode 0x81 (NEWOBJ) at byte %d is not allowed in a state dict",
                    position));
          }
          push(new ScriptObject(global.name(), new LinkedHashMap<>()));
        }
        case 'b' -> { // BUILD
          Object state = pop();
          Object target = peek();
          if (module && target instanceof ScriptObject object && state instanceof Map<?, ?> map) {
            object.attributes().putAll(map);
          } else if (!(target instanceof Map) || !(state instanceof Map)) {
            // An OrderedDict state dict carries its module versions as _metadata: not needed here.
            throw new PickleException("BUILD is only allowed to set a state dict's _metadata");
          }
        }
        default ->
            throw new PickleException(
                String.format(
                    "pickle opcode 0x%02x at byte %d is not allowed in a state dict",
                    opcode, position));
      }
      if (stack.size() > MAX_DEPTH) {
        throw new PickleException("the pickle's stack grows past " + MAX_DEPTH + " values");
      }
    }
  }

  private Global global(String name) {
    if (ALLOWED_CALLS.contains(name) || STORAGE_DTYPES.containsKey(name)) {
      return new Global(name);
    }
    if (module && (name.startsWith(SCRIPT_CLASSES) || SCRIPT_LISTS.contains(name))) {
      return new Global(name);
    }
    throw new PickleException(
        "the pickle refers to the global "
            + name
            + ", which a state dict never needs: refusing it (allowed: "
            + ORDERED_DICT
            + ", "
            + REBUILD_TENSOR
            + ", torch.*Storage)");
  }

  private Object reduce(Object callable, Object args) {
    if (!(callable instanceof Global global) || !(args instanceof Tuple tuple)) {
      throw new PickleException("REDUCE is only allowed on an allowed global with a tuple");
    }
    List<Object> items = tuple.items();
    if (module && SCRIPT_LISTS.contains(global.name())) {
      if (items.isEmpty()) {
        throw new PickleException(global.name() + "() called without a value");
      }
      return items.get(0);
    }
    switch (global.name()) {
      case ORDERED_DICT -> {
        Map<Object, Object> dict = new LinkedHashMap<>();
        if (items.size() == 1 && items.get(0) instanceof List<?> pairs) {
          for (Object pair : pairs) {
            if (!(pair instanceof Tuple t) || t.items().size() != 2) {
              throw new PickleException("OrderedDict(...) needs (key, value) pairs");
            }
            dict.put(t.items().get(0), t.items().get(1));
          }
        } else if (!items.isEmpty()) {
          throw new PickleException("OrderedDict(...) takes no arguments or a list of pairs");
        }
        return dict;
      }
      case REBUILD_TENSOR -> {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (items.size() < 6
            || items.size() > 7
            || !(items.get(0) instanceof Storage storage)
            || !(items.get(1) instanceof Long offset)) {
          throw new PickleException("_rebuild_tensor_v2 called with unexpected arguments");
        }
        long[] size = longs(items.get(2), "size");
        long[] stride = longs(items.get(3), "stride");
        if (size.length != stride.length) {
          throw new PickleException(
              "a tensor's size has " + size.length + " dimensions, its stride " + stride.length);
        }
        return new TensorRef(storage, offset, size, stride);
      }
      default ->
          throw new PickleException("calling " + global.name() + " is not allowed in a state dict");
    }
  }

  private Storage persistentLoad(Object pid) {
    // ("storage", torch.FloatStorage, key, location, numel)
    if (!(pid instanceof Tuple tuple)
        || tuple.items().size() != 5
        || !"storage".equals(tuple.items().get(0))
        || !(tuple.items().get(1) instanceof Global type)
        || !STORAGE_DTYPES.containsKey(type.name())
        || !(tuple.items().get(2) instanceof String key)
        || !(tuple.items().get(4) instanceof Long numel)
        || numel < 0) {
      throw new PickleException(
          "a persistent id that is not (\"storage\", torch.*Storage, key, location, numel)");
    }
    String dtype = STORAGE_DTYPES.get(type.name());
    Storage storage = new Storage(key, dtype, numel);
    Storage previous = storages.putIfAbsent(key, storage);
    if (previous != null && !previous.equals(storage)) {
      throw new PickleException(
          "storage " + key + " is declared twice with different types or sizes");
    }
    return storage;
  }

  private static long[] longs(Object value, String what) {
    if (!(value instanceof Tuple tuple)) {
      throw new PickleException("a tensor's " + what + " is not a tuple");
    }
    long[] result = new long[tuple.items().size()];
    for (int i = 0; i < result.length; i++) {
      if (!(tuple.items().get(i) instanceof Long dim) || dim < 0) {
        throw new PickleException("a tensor's " + what + " holds " + tuple.items().get(i));
      }
      result[i] = dim;
    }
    return result;
  }

  private static void putAll(Map<Object, Object> dict, List<Object> items) {
    if (items.size() % 2 != 0) {
      throw new PickleException("a dict built from an odd number of items");
    }
    for (int i = 0; i < items.size(); i += 2) {
      dict.put(items.get(i), items.get(i + 1));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> dict(Object value) {
    if (value instanceof Map<?, ?> map) {
      return (Map<Object, Object>) map;
    }
    throw new PickleException("SETITEM(S) on something that is not a dict");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    if (value instanceof List<?> list) {
      return (List<Object>) list;
    }
    throw new PickleException("APPEND(S) on something that is not a list");
  }

  private Tuple tuple(int n) {
    if (stack.size() - lastMark() < n) {
      throw new PickleException("TUPLE" + n + " on a stack of fewer values");
    }
    List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
    stack.subList(stack.size() - n, stack.size()).clear();
    return new Tuple(items);
  }

  private int lastMark() {
    return marks.isEmpty() ? 0 : marks.get(marks.size() - 1) + 1;
  }

  private List<Object> popMark() {
    if (marks.isEmpty()) {
      throw new PickleException("the pickle uses a MARK it never set");
    }
    int mark = marks.remove(marks.size() - 1);
    List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
    stack.subList(mark, stack.size()).clear();
    return items;
  }

  private void push(Object value) {
    stack.add(value);
  }

  private Object pop() {
    if (stack.isEmpty() || stack.size() <= lastMark()) {
      throw new PickleException("the pickle pops from an empty stack");
    }
    return stack.remove(stack.size() - 1);
  }

  private Object peek() {
    if (stack.isEmpty() || stack.size() <= lastMark()) {
      throw new PickleException("the pickle reads from an empty stack");
    }
    return stack.get(stack.size() - 1);
  }

  private Object memoGet(long index) {
    if (!memo.containsKey(index)) {
      throw new PickleException("the pickle reads memo " + index + " it never stored");
    }
    return memo.get(index);
  }
}

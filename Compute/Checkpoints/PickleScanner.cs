using System.Buffers.Binary;
using System.Text;

namespace WebGen.Compute.Checkpoints;

/// <summary>A pickle names a global (a class or function to call) that a state dict has no business naming.</summary>
public sealed class UnsafePickleException(string message) : InvalidCheckpointException(message);

/// <summary>
/// Walks a pickle's opcodes without building anything, simulating only the stack's shape, and checks every global
/// it would import (GLOBAL and STACK_GLOBAL) against an allow-list. Run before the real unpickler, so a checkpoint
/// that would call <c>os.system</c> is refused before any of it is constructed.
/// <para>
/// The names checked must be the names loaded, so only the opcodes <c>torch.save</c> writes for a state dict
/// (protocol 2, and 4 as some versions write it) are accepted, each only in a form that CPython, Razorvine and this
/// scanner read alike: memo indices below 2^31, globals named in plain ASCII identifiers, no value taken across a
/// MARK. Everything else (text literals, STRING, INST, extension codes…) is refused by name. Sizes are bounded
/// too: the pickle's length, the stack, the marks and the memo, so neither this walk nor Razorvine's can be made
/// to use much memory.
/// </para>
/// </summary>
public static class PickleScanner
{
    /// <summary>A homework state dict's pickle is 1.2 to 2.4 KB; this leaves room for any state dict of its shape.</summary>
    public const int MaxPickleBytes = 64 * 1024;

    /// <summary>torch.save nests four MARKs deep (the dict's items, a tensor's arguments, its persistent id).</summary>
    public const int MaxMarks = 16;

    /// <summary>The top-level dict's keys and values wait on the stack until SETITEMS: two per tensor.</summary>
    public const int MaxStack = 4096;

    /// <summary>torch.save memoizes a few values per tensor.</summary>
    public const int MaxMemo = 8192;

    // What the simulated stack holds: only as much of each value as decides what Razorvine will do with it, so that
    // every value the scanner lets through is one Razorvine can use where the pickle puts it.
    private sealed class Value(string kind)
    {
        public string Kind { get; } = kind;
    }
    private sealed record Text(string Ascii);
    private sealed record Callable(string Global);

    private static readonly Value Mark = new("MARK");
    private static readonly Value Other = new("a value");
    private static readonly Value None = new("None");
    private static readonly Value Tuple = new("a tuple");
    private static readonly Value Dict = new("a dict");
    private static readonly Value List = new("a list");

    /// <summary>An OrderedDict instance: a dict that also takes BUILD's attributes.</summary>
    private static readonly Value OrderedDict = new("an OrderedDict");

    private static readonly Dictionary<byte, string> Refused = new()
    {
        [(byte)'0'] = "POP",
        [(byte)'1'] = "POP_MARK",
        [(byte)'2'] = "DUP",
        [(byte)'F'] = "FLOAT",
        [(byte)'I'] = "INT",
        [(byte)'L'] = "LONG",
        [(byte)'P'] = "PERSID",
        [(byte)'S'] = "STRING",
        [(byte)'T'] = "BINSTRING",
        [(byte)'U'] = "SHORT_BINSTRING",
        [(byte)'V'] = "UNICODE",
        [(byte)'d'] = "DICT",
        [(byte)'g'] = "GET",
        [(byte)'i'] = "INST",
        [(byte)'l'] = "LIST",
        [(byte)'o'] = "OBJ",
        [(byte)'p'] = "PUT",
        [(byte)'G'] = "BINFLOAT",
        [0x81] = "NEWOBJ",
        [0x82] = "EXT1",
        [0x83] = "EXT2",
        [0x84] = "EXT4",
        [0x8b] = "LONG4",
        [(byte)'B'] = "BINBYTES",
        [(byte)'C'] = "SHORT_BINBYTES",
        [0x8d] = "BINUNICODE8",
        [0x8e] = "BINBYTES8",
        [0x8f] = "EMPTY_SET",
        [0x90] = "ADDITEMS",
        [0x91] = "FROZENSET",
        [0x92] = "NEWOBJ_EX",
        [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER",
        [0x98] = "READONLY_BUFFER",
    };

    /// <summary>The opcodes accepted, for messages.</summary>
    public const string AcceptedOpcodes =
        "PROTO FRAME STOP MARK EMPTY_DICT EMPTY_LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 SETITEM SETITEMS APPEND " +
        "APPENDS BUILD REDUCE BINPERSID GLOBAL STACK_GLOBAL BINUNICODE SHORT_BINUNICODE BININT BININT1 BININT2 LONG1 " +
        "NONE NEWTRUE NEWFALSE BINPUT LONG_BINPUT BINGET LONG_BINGET MEMOIZE";

    /// <summary>
    /// Checks the pickle that starts at <paramref name="pickle"/>[0] and returns its length in bytes (through STOP),
    /// so pickles written one after another (the legacy format) can be walked in turn.
    /// </summary>
    /// <exception cref="UnsafePickleException">A global outside <paramref name="allowed"/>, or one named at run time.</exception>
    /// <exception cref="InvalidCheckpointException">The bytes are not a pickle as torch.save writes one.</exception>
    public static int Scan(ReadOnlySpan<byte> pickle, IReadOnlySet<string> allowed, string what)
    {
        var stack = new List<object>();
        var marks = 0;
        var memo = new Dictionary<int, object>();
        var position = 0;
        var end = Math.Min(pickle.Length, MaxPickleBytes);

        InvalidCheckpointException Malformed(string why) => new($"{what} is not a pickle as torch.save writes one: {why} at byte {position}.");
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, long count)
        {
            if (count > end - position)
                throw end < data.Length ? TooLong() : Malformed("it ends early");
            var taken = data.Slice(position, (int)count);
            position += (int)count;
            return taken;
        }
        InvalidCheckpointException TooLong() =>
            new($"{what} has a pickle longer than {MaxPickleBytes / 1024} KB; a homework state dict's is about 2 KB.");
        // GLOBAL's module and name: read as a line by every unpickler, so only characters they all read alike.
        string Identifier(ReadOnlySpan<byte> data)
        {
            var length = data[position..end].IndexOf((byte)'\n');
            if (length < 0)
                throw end < data.Length ? TooLong() : Malformed("a line has no end");
            var name = Take(data, length);
            position++;
            return IsIdentifier(name) ? Encoding.ASCII.GetString(name)
                : throw new UnsafePickleException($"{what} names a global in characters other than ASCII letters, digits, '_' and '.'; refused without loading anything.");
        }
        void Push(object value)
        {
            if (stack.Count >= MaxStack)
                throw Malformed($"the stack grows past {MaxStack} values");
            stack.Add(value);
        }
        object Pop()
        {
            var top = Top();
            stack.RemoveAt(stack.Count - 1);
            return top;
        }
        object Top() =>
            stack.Count == 0 ? throw Malformed("the stack is empty")
            : stack[^1] == Mark ? throw Malformed("a value is taken from below a MARK")
            : stack[^1];
        List<object> PopMark()
        {
            var mark = stack.LastIndexOf(Mark);
            if (mark < 0)
                throw Malformed("no MARK to pop to");
            var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
            stack.RemoveRange(mark, stack.Count - mark);
            marks--;
            return items;
        }
        void Expect(object value, Value kind, string role)
        {
            // An OrderedDict is a dict too.
            if (value != kind && !(kind == Dict && value == OrderedDict))
                throw Malformed($"{role} is {Describe(value)}, not {kind.Kind}");
        }
        void Key(object key)
        {
            if (key == None)
                throw Malformed("a dict key is None");
        }
        void Memoize(long index)
        {
            // Razorvine keys its memo by a signed 32-bit integer, CPython by an unsigned one: only indices both read alike.
            if (index > int.MaxValue)
                throw Malformed($"memo index {index} is not below 2^31");
            if (memo.Count >= MaxMemo && !memo.ContainsKey((int)index))
                throw Malformed($"the memo grows past {MaxMemo} values");
            memo[(int)index] = Top();
        }
        object Fetch(long index) =>
            index <= int.MaxValue && memo.TryGetValue((int)index, out var value) ? value : throw Malformed($"memo index {index} is not set");
        Callable CheckGlobal(string module, string name)
        {
            if (!allowed.Contains($"{module}.{name}"))
                throw new UnsafePickleException(
                    $"{what} asks for the Python global {module}.{name}, which a state dict never needs; refused without " +
                    $"loading anything. Accepted globals: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}.");
            return new Callable($"{module}.{name}");
        }

        while (true)
        {
            if (position >= end)
                throw end < pickle.Length ? TooLong() : Malformed("no STOP opcode");
            var opcode = pickle[position++];
            switch (opcode)
            {
                case (byte)'.': // STOP: one value, as torch.save leaves it
                    if (stack.Count != 1 || marks != 0)
                        throw Malformed($"STOP finds {stack.Count} values on the stack, not one");
                    return position;
                case 0x80: // PROTO
                    if (Take(pickle, 1)[0] is < 2 or > 5)
                        throw Malformed($"protocol {pickle[position - 1]} is not one torch.save writes (2 to 5)");
                    break;
                case 0x95: // FRAME: a hint of the length to come, which must be there
                    if (BinaryPrimitives.ReadUInt64LittleEndian(Take(pickle, 8)) > (ulong)(pickle.Length - position))
                        throw Malformed("a FRAME is longer than the pickle");
                    break;
                case (byte)'(': // MARK
                    if (marks >= MaxMarks)
                        throw Malformed($"MARKs nest deeper than {MaxMarks}");
                    Push(Mark);
                    marks++;
                    break;

                case (byte)'J': Take(pickle, 4); Push(Other); break; // BININT
                case (byte)'K': Take(pickle, 1); Push(Other); break; // BININT1
                case (byte)'M': Take(pickle, 2); Push(Other); break; // BININT2
                case 0x8a: Take(pickle, Take(pickle, 1)[0]); Push(Other); break; // LONG1
                case (byte)'N': Push(None); break; // NONE
                case 0x88 or 0x89: Push(Other); break; // NEWTRUE NEWFALSE
                case (byte)'}': Push(Dict); break; // EMPTY_DICT
                case (byte)']': Push(List); break; // EMPTY_LIST
                case (byte)')': Push(Tuple); break; // EMPTY_TUPLE

                // Strings: kept, when they could name a global, since STACK_GLOBAL takes its module and name from the stack.
                case (byte)'X': Push(AsText(Take(pickle, BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4))))); break; // BINUNICODE
                case 0x8c: Push(AsText(Take(pickle, Take(pickle, 1)[0]))); break; // SHORT_BINUNICODE

                case (byte)'q': Memoize(Take(pickle, 1)[0]); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4))); break; // LONG_BINPUT
                case 0x94: Memoize(memo.Count); break; // MEMOIZE
                case (byte)'h': Push(Fetch(Take(pickle, 1)[0])); break; // BINGET
                case (byte)'j': Push(Fetch(BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, 4)))); break; // LONG_BINGET

                case (byte)'c': // GLOBAL module\nname\n
                    Push(CheckGlobal(Identifier(pickle), Identifier(pickle)));
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not Text m || name is not Text n)
                            throw new UnsafePickleException(
                                $"{what} builds a global's name at run time or from characters other than ASCII letters, digits, '_' and '.'; refused without loading anything.");
                        Push(CheckGlobal(m.Ascii, n.Ascii));
                        break;
                    }

                case (byte)'Q': Pop(); Push(Other); break; // BINPERSID: the loader checks the id itself
                case (byte)'R': // REDUCE
                    {
                        Expect(Pop(), Tuple, "REDUCE's arguments");
                        var callable = Pop() as Callable ?? throw Malformed("REDUCE calls something other than a global");
                        Push(callable.Global == "collections.OrderedDict" ? OrderedDict : Other);
                        break;
                    }
                case (byte)'b': // BUILD: an OrderedDict's attributes
                    Expect(Pop(), Dict, "BUILD's state");
                    Expect(Top(), OrderedDict, "BUILD's object");
                    break;
                case (byte)'a': Pop(); Expect(Top(), List, "APPEND's target"); break; // APPEND
                case (byte)'e': PopMark(); Expect(Top(), List, "APPENDS's target"); break; // APPENDS
                case (byte)'s': // SETITEM
                    Pop();
                    Key(Pop());
                    Expect(Top(), Dict, "SETITEM's target");
                    break;
                case (byte)'u': // SETITEMS: keys and values in pairs since the mark
                    {
                        var items = PopMark();
                        if (items.Count % 2 != 0)
                            throw Malformed($"SETITEMS finds {items.Count} values since its MARK, not key-value pairs");
                        for (var i = 0; i < items.Count; i += 2)
                            Key(items[i]);
                        Expect(Top(), Dict, "SETITEMS's target");
                        break;
                    }
                case (byte)'t': PopMark(); Push(Tuple); break; // TUPLE
                case 0x85: Pop(); Push(Tuple); break; // TUPLE1
                case 0x86: Pop(); Pop(); Push(Tuple); break; // TUPLE2
                case 0x87: Pop(); Pop(); Pop(); Push(Tuple); break; // TUPLE3
                default:
                    position--;
                    var named = Refused.TryGetValue(opcode, out var known) ? $"{known} " : "";
                    throw Malformed($"opcode {named}(0x{opcode:x2}) is not one torch.save writes for a state dict; accepted: {AcceptedOpcodes}");
            }
        }

        // A string that could name a global is kept only if every unpickler decodes it to the same characters.
        static object AsText(ReadOnlySpan<byte> utf8) => IsIdentifier(utf8) ? new Text(Encoding.ASCII.GetString(utf8)) : Other;
        static string Describe(object value) => value switch
        {
            Value v => v.Kind,
            Text => "a string",
            Callable c => $"the global {c.Global}",
            _ => "a value",
        };
    }

    private static bool IsIdentifier(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return false;
        foreach (var b in bytes)
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'.'))
                return false;
        return true;
    }
}

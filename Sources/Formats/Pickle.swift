import Foundation

/// A value produced by the `Pickle` machine. Lists and dicts are reference types because pickle mutates them in
/// place after they have been memoized (`EMPTY_DICT`, `BINPUT`, ..., `SETITEMS`).
indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global that was named but not called (`GLOBAL module name`), e.g. a storage class.
    case global(module: String, name: String)
    /// Whatever the machine's `reduce` or `persistentLoad` hook built.
    case object(any Sendable)

    /// A short description for error messages.
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a string"
        case .bytes: "bytes"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let module, let name): "the global \(module).\(name)"
        case .object(let object): "a \(type(of: object))"
        }
    }
}

/// A pickled list.
final class PickleList: @unchecked Sendable {
    var items: [PickleValue] = []
    var nesting = Pickle.Nesting()
}

/// A pickled dict (or `OrderedDict`), in insertion order.
final class PickleDict: @unchecked Sendable {
    var items: [(key: PickleValue, value: PickleValue)] = []
    var nesting = Pickle.Nesting()
}

/// A restricted pickle interpreter (protocols 2–4, the opcodes `torch.save` and the standard library emit for
/// plain data). It never imports or calls anything itself: every `GLOBAL` must be in `allowedGlobals`, and calling
/// one (`REDUCE`) is delegated to `reduce`, so a file naming `os.system` or `builtins.eval` is refused.
struct Pickle: Sendable {
    /// `module.name` strings that `GLOBAL` may name.
    var allowedGlobals: Set<String>
    /// Builds the result of calling an allowed global with arguments (`REDUCE`).
    var reduce: @Sendable (_ module: String, _ name: String, _ arguments: [PickleValue]) throws -> PickleValue
    /// Resolves a persistent id (`BINPERSID`), e.g. torch's storage references.
    var persistentLoad: @Sendable (PickleValue) throws -> PickleValue

    /// Limits that keep a hostile file from exhausting memory or, through deeply nested values whose release
    /// recurses, the stack.
    static let maximumStackDepth = 1_000_000
    static let maximumStringLength = 1 << 30
    static let maximumNesting = 100

    /// How deeply a mutable container nests, and whether it has been put inside another value. Pickle fills a
    /// container before nesting it (except in self-referencing data), so refusing to grow a nested container keeps
    /// every recorded depth exact.
    struct Nesting {
        var depth = 1
        var isNested = false
    }

    /// The nesting depth of `value`: 0 for scalars. Recursion is bounded because deeper values are never built.
    /// The machine itself never calls this on what it builds (see `Item`); it is for `reduce` and `persistentLoad`
    /// results, which may be tuples.
    static func depth(of value: PickleValue) -> Int {
        switch value {
        case .tuple(let items): 1 + (items.map(depth(of:)).max() ?? 0)
        case .list(let list): list.nesting.depth
        case .dict(let dict): dict.nesting.depth
        default: 0
        }
    }

    /// A value on the stack or in the memo, with its depth when it is a tuple. Lists and dicts cache their depth in
    /// `nesting`; tuples are values and cannot, and walking a tuple's children again for every new parent is
    /// exponential when the children are shared (`DUP` then `TUPLE3`, repeated, makes a DAG of 2^n paths).
    private struct Item {
        var value: PickleValue
        var tupleDepth = 0

        var depth: Int {
            switch value {
            case .tuple: tupleDepth
            case .list(let list): list.nesting.depth
            case .dict(let dict): dict.nesting.depth
            default: 0
            }
        }
    }

    private enum StackItem {
        case item(Item)
        case mark
    }

    /// Runs the program in `bytes` and returns the value left by `STOP`. Errors are `InputError`s without a path.
    func load(_ bytes: Data) throws -> PickleValue {
        try bytes.withUnsafeBytes { raw in try run(raw) }
    }

    private func run(_ program: UnsafeRawBufferPointer) throws -> PickleValue {
        var position = 0
        var stack: [StackItem] = []
        var memo: [Int: Item] = [:]

        func fail(_ problem: String) -> InputError { InputError("pickle: \(problem) (at byte \(position))") }
        func read(_ count: Int) throws -> UnsafeRawBufferPointer {
            guard count >= 0, count <= program.count - position else { throw fail("truncated") }
            defer { position += count }
            return UnsafeRawBufferPointer(rebasing: program[position..<(position + count)])
        }
        func readByte() throws -> UInt8 { try read(1)[0] }
        func readUInt16() throws -> Int { Int(UInt16(littleEndian: try read(2).loadUnaligned(as: UInt16.self))) }
        func readUInt32() throws -> Int { Int(UInt32(littleEndian: try read(4).loadUnaligned(as: UInt32.self))) }
        func readUInt64() throws -> Int {
            let value = UInt64(littleEndian: try read(8).loadUnaligned(as: UInt64.self))
            guard value <= UInt64(Self.maximumStringLength) else { throw fail("length \(value) is too large") }
            return Int(value)
        }
        func readLine() throws -> String {
            guard let newline = program[position...].firstIndex(of: 0x0a) else { throw fail("unterminated line") }
            let line = String(decoding: UnsafeRawBufferPointer(rebasing: program[position..<newline]), as: UTF8.self)
            position = newline + 1
            return line
        }
        func readString(_ length: Int) throws -> String {
            guard length <= Self.maximumStringLength else { throw fail("string length \(length) is too large") }
            let bytes = try read(length)
            guard let string = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return string
        }
        func push(_ item: Item) throws {
            guard stack.count < Self.maximumStackDepth else { throw fail("stack too deep") }
            stack.append(.item(item))
        }
        func push(_ value: PickleValue) throws { try push(Item(value: value)) }
        /// Pushes what `reduce` or `persistentLoad` returned: the one place a tuple's depth is not known.
        func pushResult(_ value: PickleValue) throws { try push(Item(value: value, tupleDepth: Self.depth(of: value))) }
        func popItem() throws -> Item {
            guard case .item(let item)? = stack.popLast() else { throw fail("stack underflow") }
            return item
        }
        func pop() throws -> PickleValue { try popItem().value }
        func topItem() throws -> Item {
            guard case .item(let item)? = stack.last else { throw fail("stack underflow") }
            return item
        }
        func top() throws -> PickleValue { try topItem().value }
        func popToMark() throws -> [Item] {
            guard let markIndex = stack.lastIndex(where: { if case .mark = $0 { true } else { false } }) else {
                throw fail("MARK missing")
            }
            let items = stack[(markIndex + 1)...].map { entry -> Item in
                guard case .item(let item) = entry else { fatalError("unreachable: marks above the last mark") }
                return item
            }
            stack.removeSubrange(markIndex...)
            return items
        }
        func memoGet(_ index: Int) throws -> Item {
            guard let item = memo[index] else { throw fail("memo entry \(index) is missing") }
            return item
        }
        func global(_ module: String, _ name: String) throws -> PickleValue {
            guard allowedGlobals.contains("\(module).\(name)") else {
                throw InputError("pickle: refusing to load the global \(module).\(name); only tensor state dicts are supported")
            }
            return .global(module: module, name: name)
        }
        /// Marks `children` as nested and returns the depth of a container holding them. A list or dict may not
        /// hold itself (`x = []; x.append(x)`): the reference cycle would never be freed.
        func nest(_ children: [Item], into container: AnyObject? = nil) throws -> Int {
            var deepest = 0
            for child in children {
                switch child.value {
                case .list(let list):
                    guard list !== container else { throw fail("a list that contains itself is not supported") }
                    list.nesting.isNested = true
                case .dict(let dict):
                    guard dict !== container else { throw fail("a dict that contains itself is not supported") }
                    dict.nesting.isNested = true
                default: break
                }
                deepest = max(deepest, child.depth)
            }
            guard deepest < Self.maximumNesting else { throw fail("values nested more than \(Self.maximumNesting) deep") }
            return deepest + 1
        }
        func tuple(_ items: [Item]) throws -> Item {
            Item(value: .tuple(items.map(\.value)), tupleDepth: try nest(items))
        }
        func setItems(_ pairs: [Item], into target: PickleValue) throws {
            guard case .dict(let dict) = target else { throw fail("SETITEMS on \(target.kind)") }
            guard pairs.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
            guard !dict.nesting.isNested else { throw fail("adding to a dict after nesting it is not supported") }
            dict.nesting.depth = max(dict.nesting.depth, try nest(pairs, into: dict))
            for index in stride(from: 0, to: pairs.count, by: 2) {
                dict.items.append((pairs[index].value, pairs[index + 1].value))
            }
        }
        func appendItems(_ items: [Item], to target: PickleValue) throws {
            guard case .list(let list) = target else { throw fail("APPENDS on \(target.kind)") }
            guard !list.nesting.isNested else { throw fail("adding to a list after nesting it is not supported") }
            list.nesting.depth = max(list.nesting.depth, try nest(items, into: list))
            list.items.append(contentsOf: items.map(\.value))
        }

        while true {
            let opcode = try readByte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try readByte()
                guard version <= 5 else { throw fail("pickle protocol \(version) is not supported") }
            case 0x95:  // FRAME
                _ = try read(8)
            case 0x2e:  // STOP
                let result = try pop()
                return result
            case 0x28:  // MARK
                stack.append(.mark)
            case 0x30:  // POP
                guard stack.popLast() != nil else { throw fail("stack underflow") }
            case 0x31:  // POP_MARK
                _ = try popToMark()
            case 0x32:  // DUP
                try push(try topItem())
            case 0x7d: try push(.dict(PickleDict()))  // EMPTY_DICT
            case 0x5d: try push(.list(PickleList()))  // EMPTY_LIST
            case 0x29: try push(Item(value: .tuple([]), tupleDepth: 1))  // EMPTY_TUPLE
            case 0x74: try push(try tuple(try popToMark()))  // TUPLE
            case 0x85: try push(try tuple([try popItem()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let second = try popItem(), first = try popItem()
                try push(try tuple([first, second]))
            case 0x87:  // TUPLE3
                let third = try popItem(), second = try popItem(), first = try popItem()
                try push(try tuple([first, second, third]))
            case 0x6c:  // LIST
                let list = PickleList()
                try appendItems(try popToMark(), to: .list(list))
                try push(.list(list))
            case 0x64:  // DICT
                let dict = PickleDict()
                try setItems(try popToMark(), into: .dict(dict))
                try push(.dict(dict))
            case 0x4e: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4a:  // BININT
                try push(.int(Int(Int32(littleEndian: try read(4).loadUnaligned(as: Int32.self)))))
            case 0x4b: try push(.int(Int(try readByte())))  // BININT1
            case 0x4d: try push(.int(try readUInt16()))  // BININT2
            case 0x8a:  // LONG1: little-endian two's complement
                let length = Int(try readByte())
                let bytes = try read(length)
                guard length <= 8 else { throw fail("integer of \(length) bytes is too large") }
                var value: UInt64 = 0
                for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                if length > 0 && length < 8 && bytes[length - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(length)) }
                try push(.int(Int(Int64(bitPattern: value))))
            case 0x47:  // BINFLOAT: big-endian double
                try push(.float(Double(bitPattern: UInt64(bigEndian: try read(8).loadUnaligned(as: UInt64.self)))))
            case 0x58: try push(.string(try readString(try readUInt32())))  // BINUNICODE
            case 0x8c: try push(.string(try readString(Int(try readByte()))))  // SHORT_BINUNICODE
            case 0x8d: try push(.string(try readString(try readUInt64())))  // BINUNICODE8
            case 0x42: try push(.bytes(Data(try read(try readUInt32()))))  // BINBYTES
            case 0x43: try push(.bytes(Data(try read(Int(try readByte())))))  // SHORT_BINBYTES
            case 0x71: memo[Int(try readByte())] = try topItem()  // BINPUT
            case 0x72: memo[try readUInt32()] = try topItem()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try topItem()  // MEMOIZE
            case 0x68: try push(try memoGet(Int(try readByte())))  // BINGET
            case 0x6a: try push(try memoGet(try readUInt32()))  // LONG_BINGET
            case 0x63:  // GLOBAL
                let module = try readLine(), name = try readLine()
                try push(try global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                try push(try global(module, name))
            case 0x52:  // REDUCE
                guard case .tuple(let arguments) = try pop() else { throw fail("REDUCE arguments are not a tuple") }
                guard case .global(let module, let name) = try pop() else { throw fail("REDUCE on something not callable") }
                try pushResult(try reduce(module, name, arguments))
            case 0x51:  // BINPERSID
                try pushResult(try persistentLoad(try pop()))
            case 0x62:  // BUILD
                // State for an allowed object (OrderedDict `_metadata`, tensor state): nothing we use.
                _ = try pop()
                _ = try top()
            case 0x73:  // SETITEM
                let value = try popItem(), key = try popItem()
                try setItems([key, value], into: try top())
            case 0x75:  // SETITEMS
                let items = try popToMark()
                try setItems(items, into: try top())
            case 0x61:  // APPEND
                let item = try popItem()
                try appendItems([item], to: try top())
            case 0x65:  // APPENDS
                let items = try popToMark()
                try appendItems(items, to: try top())
            default:
                position -= 1
                throw fail(String(format: "unsupported opcode 0x%02x", opcode))
            }
        }
    }
}

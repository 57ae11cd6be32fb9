/**
 * A small first-fit allocator over a WebAssembly.Memory, run from TypeScript: the kernels allocate
 * nothing themselves, the runner lays out weights, optimizer slots, workspaces and datasets here.
 *
 * Blocks are 16-byte aligned (SIMD loads), or more (`align`: the two-thread module uses 64, a cache
 * line, so that the two threads' halves of a buffer never share one), and zeroed on allocation. Memory only grows (WebAssembly
 * cannot shrink it); freed blocks are reused and coalesced. Growing the memory detaches the old
 * ArrayBuffer, so every typed view is fetched through the getters below, which rebuild them on demand.
 */
const PAGE = 65536;

interface Block {
  ptr: number;
  size: number;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Free blocks sorted by address. */
  private free: Block[] = [];
  private used = new Map<number, number>();
  private buffer: ArrayBuffer | null = null;
  private _u8!: Uint8Array;
  private _i32!: Int32Array;
  private _f32!: Float32Array;
  private _f64!: Float64Array;
  private readonly align: number;

  constructor(memory: WebAssembly.Memory, base: number, align = 16) {
    this.memory = memory;
    this.align = align;
    const start = this.round(base);
    if (memory.buffer.byteLength <= start) memory.grow(Math.ceil((start - memory.buffer.byteLength) / PAGE) + 1);
    this.free.push({ ptr: start, size: memory.buffer.byteLength - start });
  }

  /** Bytes currently reserved by the module's memory (what the process pays for). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Allocate `bytes` zeroed bytes, 16-byte aligned; returns the byte offset. */
  alloc(bytes: number): number {
    const size = Math.max(this.align, this.round(bytes));
    let index = this.free.findIndex((b) => b.size >= size);
    if (index < 0) {
      this.grow(size);
      index = this.free.findIndex((b) => b.size >= size);
    }
    const block = this.free[index];
    const ptr = block.ptr;
    if (block.size === size) this.free.splice(index, 1);
    else {
      block.ptr += size;
      block.size -= size;
    }
    this.used.set(ptr, size);
    this.u8.fill(0, ptr, ptr + size);
    return ptr;
  }

  release(ptr: number): void {
    if (ptr === 0) return;
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`WasmHeap: release of unknown block ${ptr}`);
    this.used.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    // coalesce with the next, then with the previous block
    if (i + 1 < this.free.length && ptr + size === this.free[i + 1].ptr) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].ptr + this.free[i - 1].size === ptr) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  private grow(atLeast: number): void {
    const oldEnd = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tail = last && last.ptr + last.size === oldEnd ? last.size : 0;
    const need = atLeast - tail;
    // grow by at least a quarter of the current size, to keep the number of grows small
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(oldEnd / PAGE / 4), 1);
    this.memory.grow(pages);
    const added = pages * PAGE;
    if (tail > 0) last.size += added;
    else this.free.push({ ptr: oldEnd, size: added });
  }

  private round(n: number): number {
    return Math.ceil(n / this.align) * this.align;
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this._u8 = new Uint8Array(buffer);
    this._i32 = new Int32Array(buffer);
    this._f32 = new Float32Array(buffer);
    this._f64 = new Float64Array(buffer);
  }

  get u8(): Uint8Array {
    this.refresh();
    return this._u8;
  }
  get i32(): Int32Array {
    this.refresh();
    return this._i32;
  }
  get f32(): Float32Array {
    this.refresh();
    return this._f32;
  }
  get f64(): Float64Array {
    this.refresh();
    return this._f64;
  }
}

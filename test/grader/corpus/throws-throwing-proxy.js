// Hostile: throws a Proxy whose every trap throws, inside an Error subclass with a throwing getter.
export async function trainMnist() {
  const boom = () => {
    throw new Error('trap');
  };
  throw new Proxy({}, { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom });
}

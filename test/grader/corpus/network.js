// Hostile: tries to download a pretrained model.
export async function trainMnist() {
  const response = await fetch('http://example.com/pretrained-mnist.json');
  return response.json();
}

// Hostile: a static import of a data: URL module (code written as a string in the URL).
import { value } from 'data:text/javascript,export const value = 1; console.log("code from a string ran");';

export async function trainMnist() {
  return value;
}
